"""Where a run's time goes: seconds per step by part, RM-scoring time and total wall time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from common.rundir.runs import RunDir, select

# The parts of a step every trainer times, in step order (metrics ``time/<part>_s``, the keys
# of common.mixers.step.TIME_KEYS): ``mixer`` is the bandit's decision and update.
TIME_PARTS = ("context", "mixer", "generate", "reward", "fwd_bwd", "optimizer")


def _mean_of(rows: Sequence[dict[str, Any]], key: str) -> float | None:
    values = [float(r[key]) for r in rows if isinstance(r.get(key), (int, float))]
    return float(np.mean(values)) if values else None


def wall_clock(run_dirs: Sequence[str | Path]) -> list[dict[str, Any]]:
    """One row per run comparing where the time goes.

    Keys: ``run`` (folder name), ``method`` (summary.json, else ``trainer.method``),
    ``balancer`` (``balancer.name``), ``steps`` (logged rows), ``<part>_s`` for each of
    :data:`TIME_PARTS` (mean over the steps that logged ``time/<part>_s``; the ``reward``
    part is the RM-scoring time per step), ``step_s`` (sum of the parts' means),
    ``mixer_share`` (mixer_s / step_s: the bandit's share) and ``wall_s`` (summary.json: the whole run,
    evaluation included). Missing figures are None. Every step counts, the first included,
    so the means add up to what the run cost.
    """
    table = []
    for d in run_dirs:
        run = RunDir(Path(d))
        rows, summary = run.metrics, run.summary
        row: dict[str, Any] = {
            "run": run.path.name,
            # summary first here (compare's RunDir.method reads the config first): the table
            # names what actually ran, e.g. best-of-n's "laser_best_of_n"
            "method": summary.get("method", select(run.cfg, "trainer.method")),
            "balancer": select(run.cfg, "balancer.name"),
            "steps": len(rows),
        }
        parts = {p: _mean_of(rows, f"time/{p}_s") for p in TIME_PARTS}
        row.update({f"{p}_s": v for p, v in parts.items()})
        timed = [v for v in parts.values() if v is not None]
        row["step_s"] = sum(timed) if timed else None
        mixer = parts["mixer"]
        row["mixer_share"] = mixer / row["step_s"] if mixer is not None and row["step_s"] else None
        row["wall_s"] = summary.get("wall_s")
        table.append(row)
    return table


_COLUMNS = (
    ("run", "run"),
    ("method", "method"),
    ("balancer", "balancer"),
    ("steps", "steps"),
    ("context_s", "context s"),
    ("mixer_s", "bandit s"),
    ("generate_s", "generate s"),
    ("reward_s", "RM scoring s"),
    ("fwd_bwd_s", "fwd+bwd s"),
    ("optimizer_s", "optimizer s"),
    ("step_s", "step s"),
    ("mixer_share", "bandit %"),
    ("wall_s", "wall s"),
)


def _cell(key: str, v: Any) -> str:
    if v is None:
        return "–"
    if key == "mixer_share":
        return f"{100 * v:.2f}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def wall_clock_markdown(table: Sequence[dict[str, Any]]) -> str:
    """A :func:`wall_clock` table as markdown (seconds per step unless noted; ``wall s`` is
    the whole run)."""
    lines = [
        "| " + " | ".join(title for _, title in _COLUMNS) + " |",
        "|"
        + "|".join("---" if k in ("run", "method", "balancer") else "---:" for k, _ in _COLUMNS)
        + "|",
    ]
    for row in table:
        lines.append("| " + " | ".join(_cell(k, row.get(k)) for k, _ in _COLUMNS) + " |")
    return "\n".join(lines) + "\n"
