"""A study's training curves: each condition's training reward against steps (mean over its
seeds, one line per condition in one plot) and its first-vs-last-quarter trend pooled over
seeds (:func:`common.rundir.train_trend.pooled_trend`), as ``training.md``/``training.png``.

The curve of a run is its raw per-source score when it trains on one source
(``reward/<m>``, the 0-1 pass rate of the step's samples), else the step's mixed reward
(``reward``): a single-family run's mixed reward is standardized and hides the scale a
reader wants (did the pass rate go from 0.4 to 0.6?).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from common.rundir.train_trend import KEY, pooled_trend, step_values

SMOOTH = 8  # steps in the plot's moving average (one step holds a few prompts: very noisy)


def curve_key(rows: Sequence[Mapping[str, Any]]) -> str:
    """``reward/<m>`` when the run logs exactly one per-source reward, else ``reward``."""
    sources = sorted({k for r in rows for k in r if k.startswith(KEY + "/")})
    return sources[0] if len(sources) == 1 else KEY


def study_curves(runs_by_row: Mapping[str, Sequence[Path]]) -> dict[str, dict[str, Any]]:
    """Per condition: ``{"key", "seeds" (runs), "per_run" [(S_r,) lists], "mean" (list over
    the steps every run logged), "trend" (pooled_trend)}``; conditions whose runs log no
    training reward (or differing keys) are left out."""
    from common.rundir.runs import read_run_metrics

    curves: dict[str, dict[str, Any]] = {}
    for row, folders in runs_by_row.items():
        metrics = [read_run_metrics(f) for f in folders]
        keys = {curve_key(rows) for rows in metrics if rows}
        if len(keys) != 1:
            continue
        key = keys.pop()
        series = [step_values(rows, key) for rows in metrics]
        steps = min(len(v) for v in series)
        if steps == 0:
            continue
        curves[row] = {
            "key": key,
            "seeds": len(series),
            "per_run": [v.tolist() for v in series],
            "mean": np.mean([v[:steps] for v in series], axis=0).tolist(),
            "trend": pooled_trend(series, key),
        }
    return curves


def curves_md(curves: Mapping[str, Mapping[str, Any]]) -> str:
    """The trend table: one row per condition."""
    lines = [
        "# Training reward: first vs last quarter of the steps (pooled over seeds)",
        "",
        "Welch 95 % interval of mean(last quarter) - mean(first quarter), each step's value a "
        "draw (neighbouring steps correlate: a guide, not a test).",
        "",
        "| condition | key | runs | steps | first quarter | last quarter | difference [95 % CI] "
        "| verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row, c in curves.items():
        t = c["trend"]
        if t["verdict"] is None:
            lines.append(f"| {row} | `{c['key']}` | {c['seeds']} | {t['steps']} | | | "
                         f"{t['reason']} | |")  # fmt: skip
            continue
        lines.append(
            f"| {row} | `{c['key']}` | {c['seeds']} | {t['steps']} | {t['first_mean']:.3f} "
            f"(n={t['n_first']}) | {t['last_mean']:.3f} (n={t['n_last']}) | "
            f"{t['difference']:+.3f} [{t['lo']:+.3f}, {t['hi']:+.3f}] | {t['verdict']} |"
        )
    return "\n".join(lines) + "\n"


def plot_curves(curves: Mapping[str, Mapping[str, Any]], path: Path) -> Path | None:
    """Every condition's seed-mean curve (thin) and its moving average over SMOOTH steps."""
    if not curves:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for row, c in curves.items():
        y = np.asarray(c["mean"], dtype=np.float64)
        x = np.arange(1, len(y) + 1)
        (line,) = ax.plot(x, y, alpha=0.25, linewidth=0.8)
        w = min(SMOOTH, len(y))
        smooth = np.convolve(y, np.ones(w) / w, mode="valid")
        ax.plot(x[w - 1 :], smooth, color=line.get_color(), linewidth=2,
                label=f"{row} ({c['key']}, {c['seeds']} seed(s))")  # fmt: skip
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training reward (mean over seeds)")
    ax.set_title(f"training reward per condition; thick: {SMOOTH}-step moving average")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
