"""Reading finished run directories: the one reader that ``experiments.compare``,
``laser.analysis`` and ``common.rundir.plots`` share.

A run directory (see README "What a run writes") holds ``.hydra/config.yaml`` (plus Hydra's
``overrides.yaml`` and ``hydra.yaml``), ``metrics.jsonl`` (one row per optimizer step) and,
once finished, ``summary.json``. This module reads those files (:class:`RunDir`,
:func:`load_run_config`, :func:`select`) and the per-step series in the metric rows
(:func:`metric_series`, :func:`running_mean`, and the arms a bandit picked:
:func:`step_arms`, :func:`arm_counts`, :func:`arm_utilization`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

_HYDRA_INTERP = re.compile(r"\$\{hydra:([\w.]+)\}")


# ---- files -------------------------------------------------------------------------------------
def load_run_config(run_dir: str | Path) -> DictConfig | None:
    """The run's ``.hydra/config.yaml``, or None when the run has none.

    Hydra saves the config unresolved; ``${hydra:KEY}`` interpolations only resolve inside a
    Hydra app, so they are replaced by their values from ``.hydra/hydra.yaml`` when present.
    """
    folder = Path(run_dir) / ".hydra"
    path = folder / "config.yaml"
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    if _HYDRA_INTERP.search(text) and (folder / "hydra.yaml").exists():
        hydra = OmegaConf.load(folder / "hydra.yaml")

        def value(m: re.Match) -> str:
            v = OmegaConf.select(hydra, f"hydra.{m.group(1)}", default=None)
            return m.group(0) if v is None else str(v)

        text = _HYDRA_INTERP.sub(value, text)
    cfg = OmegaConf.create(text)
    OmegaConf.set_struct(cfg, False)
    return cfg


def select(cfg: DictConfig | None, key: str, default: Any = None) -> Any:
    """``cfg``'s value at the dotted ``key``, else ``default``.

    ``default`` also when there is no config (``cfg`` None) and when the value's
    interpolation cannot be resolved outside the run (an ``${oc.env:...}`` of the machine
    that ran it): a report over finished runs reads what it can rather than stop at one
    stale key. (compare and laser.analysis each had a copy; compare's was lenient, the
    analysis' raised, and no caller relies on the raise.)
    """
    if cfg is None:
        return default
    return OmegaConf.select(cfg, key, default=default, throw_on_resolution_failure=False)


class RunFileError(ValueError):
    """A file of a run directory that is not what the run writes (cut short, not JSON, another
    schema); the message names the file (and line)."""


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """``summary.json`` of a run ({} when the run has none: failed or unfinished).

    Raises:
        RunFileError: the file is not a JSON object (names the file and where it breaks).
    """
    path = Path(run_dir) / "summary.json"
    if not path.exists():
        return {}
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RunFileError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(summary, dict):
        raise RunFileError(f"{path}: a JSON object expected, found {type(summary).__name__}")
    return summary


def read_run_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """The rows of a run's ``metrics.jsonl`` ([] when the run has none).

    Raises:
        RunFileError: a line is not a JSON object (names the file and line).
    """
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for i, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise RunFileError(f"{path}:{i}: unparsable metrics row ({err})") from None
            if not isinstance(row, dict):
                raise RunFileError(f"{path}:{i}: a JSON object expected")
            rows.append(row)
    return rows


def read_overrides(run_dir: str | Path) -> dict[str, str]:
    """``.hydra/overrides.yaml`` as {key: value} (leading ``+``/``++``/``~`` dropped; {}
    without the file)."""
    path = Path(run_dir) / ".hydra" / "overrides.yaml"
    if not path.exists():
        return {}
    items = OmegaConf.load(path)
    out: dict[str, str] = {}
    if isinstance(items, ListConfig):
        for item in items:
            key, sep, value = str(item).partition("=")
            if sep:
                out[key.lstrip("+~")] = value
    return out


def read_choices(run_dir: str | Path) -> dict[str, str]:
    """Hydra's config-group choices, ``hydra.runtime.choices`` of ``.hydra/hydra.yaml``
    (e.g. {"model": "smollm2"}; {} without the file)."""
    path = Path(run_dir) / ".hydra" / "hydra.yaml"
    if not path.exists():
        return {}
    choices = OmegaConf.select(OmegaConf.load(path), "hydra.runtime.choices", default=None)
    if not isinstance(choices, DictConfig):
        return {}
    return {str(k): str(v) for k, v in choices.items() if v is not None}


@dataclass(eq=False)
class RunDir:
    """One run directory; each file is read on first use, once.

    Identity is the object (``eq=False``): two readers of one folder are two runs, which is
    what grouping by ``id`` in compare needs.
    """

    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    @cached_property
    def summary(self) -> dict[str, Any]:
        """``summary.json`` ({} when absent)."""
        return read_summary(self.path)

    @cached_property
    def cfg(self) -> DictConfig | None:
        """``.hydra/config.yaml`` (None when absent), see :func:`load_run_config`."""
        return load_run_config(self.path)

    @cached_property
    def overrides(self) -> dict[str, str]:
        """See :func:`read_overrides`."""
        return read_overrides(self.path)

    @cached_property
    def choices(self) -> dict[str, str]:
        """See :func:`read_choices`."""
        return read_choices(self.path)

    @cached_property
    def metrics(self) -> list[dict[str, Any]]:
        """The rows of ``metrics.jsonl`` ([] when absent)."""
        return read_run_metrics(self.path)

    def scores(self, phase: str) -> dict[str, float]:
        """``eval[phase]`` of the summary (``phase`` "before" or "after"; {} when absent)."""
        return dict((self.summary.get("eval") or {}).get(phase) or {})

    @property
    def seed(self) -> int:
        """The summary's seed, else the config's, else 0."""
        return int(self.summary.get("seed", select(self.cfg, "seed", 0)))

    @property
    def model(self) -> str:
        """``model.name_or_path`` ('?' when unknown)."""
        return str(select(self.cfg, "model.name_or_path", "?"))

    @property
    def exp(self) -> str:
        """``exp_name`` of the config, else ``exp`` of the summary ('?' when unknown)."""
        return str(select(self.cfg, "exp_name", None) or self.summary.get("exp", "?"))

    @property
    def method(self) -> str:
        """``trainer.method``, else the summary's ``method`` ('?' when unknown)."""
        return str(select(self.cfg, "trainer.method", None) or self.summary.get("method", "?"))


# ---- per-step series ---------------------------------------------------------------------------
def metric_series(
    rows: Sequence[dict[str, Any]], prefix: str
) -> dict[str, tuple[list[int], list[float]]]:
    """Per metric logged under ``prefix`` (e.g. ``weight/``), its (steps, values) in row order.

    Returns:
        {name without the prefix: (steps, values)}; non-numeric values are skipped.
    """
    out: dict[str, tuple[list[int], list[float]]] = {}
    for r in rows:
        for k, v in r.items():
            if k.startswith(prefix) and isinstance(v, (int, float)):
                steps, values = out.setdefault(k[len(prefix) :], ([], []))
                steps.append(r["step"])
                values.append(float(v))
    return out


def running_mean(values: Sequence[float]) -> list[float]:
    """``out[i] = mean(values[:i + 1])``: the mean of everything seen so far."""
    out, total = [], 0.0
    for i, v in enumerate(values, 1):
        total += v
        out.append(total / i)
    return out


# ---- arms --------------------------------------------------------------------------------------
def step_arms(row: dict[str, Any]) -> list[str]:
    """The arms one ``metrics.jsonl`` row's step used: its ``arm`` (per batch), or one per
    prompt from the comma-joined ``arms`` (``balancer.granularity=query``); [] for a step
    without an arm (an ensemble, or a balancer that weights every metric)."""
    if row.get("arms"):
        return [a for a in str(row["arms"]).split(",") if a]
    return [row["arm"]] if row.get("arm") else []


def arm_counts(rows: Sequence[dict[str, Any]]) -> Counter:
    """How many bandit decisions picked each arm: steps per batch, prompts per query."""
    return Counter(a for r in rows for a in step_arms(r))


def arms_in_order(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every reward source of the run: the ``weight/<rm>`` columns (config order, so sources
    the bandit never picked still show), then any picked arm not among them."""
    names: list[str] = []
    for r in rows:
        for k in r:
            if k.startswith("weight/") and k[len("weight/") :] not in names:
                names.append(k[len("weight/") :])
    for r in rows:
        for arm in step_arms(r):
            if arm not in names:
                names.append(arm)
    return names


def arm_utilization(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Fraction of bandit decisions that picked each reward model: steps per batch, prompts
    per query (``arms``).

    Args:
        rows: metrics.jsonl rows; rows without an ``arm`` (an ensemble step) are ignored.

    Returns:
        {rm: picks / decisions}, every RM of the run (0.0 when never picked), in config
        order (:func:`arms_in_order`); {} when no row has an arm.
    """
    picks = arm_counts(rows)
    total = sum(picks.values())
    if not total:
        return {}
    return {a: picks[a] / total for a in arms_in_order(rows)}
