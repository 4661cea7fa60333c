"""Compare methods over seeds: a methods x metrics table (mean ± std), paired t-tests and
cross-method plots, built from finished run directories.

    python -m experiments.compare RUN_OR_SWEEP_DIR [...] [--out DIR] [--baseline LABEL]
        [--group-by KEY[,KEY]] [--phase after|before] [--metrics m1,m2]

Inputs: any mix of run directories (a folder with ``summary.json``) and sweep directories
(folders whose subfolders, down to 4 levels, are run directories, e.g. a Hydra multirun
``multirun/EXP/DATE/0_balancer=average,seed=0/``). A run folder without ``summary.json``
(it has ``.hydra/`` or ``metrics.jsonl``: a failed or unfinished run) is skipped with a
warning naming it; no run at all is an error (exit status 1).

Rows: runs grouped by the values of the ``--group-by`` keys, joined by ``/``. A key is read
from the run's ``.hydra/config.yaml`` (a config group such as ``balancer`` reads its
``name``), else ``.hydra/overrides.yaml``, else Hydra's group choice in ``.hydra/hydra.yaml``
(``--group-by model`` -> ``smollm2``), else ``summary.json``. Default grouping:
``trainer.method/balancer.name`` (e.g. ``drbo/inverse``), with the model (last path part
of ``model.name_or_path``) and ``exp_name`` appended only when the runs span several. With
``--phase after`` a ``zero-shot`` row holds the untrained policy's scores (``eval.before``)
over all runs of the same model and exp (``zero-shot/<model>/<exp>`` when there are
several). Rows are listed zero-shot first, then by label.

Cells: a row's value is computed per seed (the mean of its runs with that seed, normally
one), then mean ± std over seeds (sample std, ddof=1; just the mean with one seed), x100
with 2 decimals. ``n`` = seeds of the row. ``avg`` = per seed, the mean over the table's
metrics; then mean ± std over seeds. Columns: the union of ``eval[phase]`` metric names,
sorted, or ``--metrics`` (restricts and orders). Higher is better: the highest mean of each
column (ties at 2 decimals included; only when >= 2 rows have a value) is the best cell,
**bold** in table.md and with a trailing ``*`` in table.csv.

t-test: each other row against ``--baseline LABEL`` (default: the zero-shot row when there
is one, else the first row), per metric and avg: ``scipy.stats.ttest_rel`` on the seeds both
rows have, difference = row - baseline. Against zero-shot, each run is paired with its own
``before`` scores (same runs, same seeds). Fewer than 2 pairs, or differences of zero
variance, give p = n/a with the reason.

Outputs in ``--out`` (default: ``<common parent of the inputs>/compare``):

    table.md, table.csv     the table above (also printed to stdout)
    ttest.md, ttest.csv     mean difference x100, p-value and pairs per row and column
                            (ttest.csv: one line per row x column, p at full precision)
    intervals.md, .csv      per run and metric (and ``avg``): n rows, before and after as
                            ``mean ± half-width`` of the run's 95 % bootstrap interval, the
                            paired after-before difference, "within noise" when its interval
                            contains 0 (from ``summary.json``'s ``eval_ci``; written when a
                            run has one)
    results.json            every number, in [0, 1] units (the tables print x100): per-run
                            scores, per-seed and mean/std per row, the t-tests, the runs used
                            and the folders skipped
    weights.png             mixing weight per step, one subplot per reward source, one line per
                            method (mean over its seeds)
    rewards.png             raw reward per step (each run's running mean, then the mean over
                            seeds), same layout
    arm_utilization.png     runs that log ``arm`` (bandits): fraction of steps each source was
                            picked, grouped bars per method (mean over seeds, std as error bar)

A plot with no data is not written.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import os
import sys
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from omegaconf import DictConfig, ListConfig, OmegaConf  # noqa: E402
from scipy import stats  # noqa: E402

from common.plots import _running_mean, _series  # noqa: E402
from common.run_dirs import load_run_config  # noqa: E402
from common.tracking import read_metrics  # noqa: E402
from laser.analysis import arm_utilization  # noqa: E402

log = logging.getLogger(__name__)

ZERO_SHOT = "zero-shot"
AVG = "avg"
MAX_DEPTH = 4  # how deep below an input folder run directories are looked for


class CompareError(Exception):
    """A user-facing problem with the inputs (no runs, unknown baseline or metric)."""


# ---- runs --------------------------------------------------------------------------------------
@dataclass(eq=False)
class Run:
    """One finished run: its folder, ``summary.json``, config, overrides and Hydra's
    config-group choices (``hydra.runtime.choices``, e.g. {"model": "smollm2"})."""

    path: Path
    summary: dict[str, Any]
    cfg: DictConfig | None
    overrides: dict[str, str]
    choices: dict[str, str] = field(default_factory=dict)
    _rows: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def seed(self) -> int:
        """The summary's seed, else the config's, else 0."""
        seed = self.summary.get("seed", _select(self.cfg, "seed", 0))
        return int(seed)

    def scores(self, phase: str) -> dict[str, float]:
        """``eval[phase]`` of the summary ({} when absent)."""
        return dict((self.summary.get("eval") or {}).get(phase) or {})

    @property
    def model(self) -> str:
        """``model.name_or_path`` ('?' when unknown)."""
        return str(_select(self.cfg, "model.name_or_path", "?"))

    @property
    def exp(self) -> str:
        """``exp_name`` of the config, else ``exp`` of the summary ('?' when unknown)."""
        return str(_select(self.cfg, "exp_name", None) or self.summary.get("exp", "?"))

    @property
    def method(self) -> str:
        """``trainer.method``, else the summary's ``method`` ('?' when unknown)."""
        return str(_select(self.cfg, "trainer.method", None) or self.summary.get("method", "?"))

    def metric_rows(self) -> list[dict[str, Any]]:
        """The rows of ``metrics.jsonl`` ([] when the run has none); read once."""
        if self._rows is None:
            path = self.path / "metrics.jsonl"
            self._rows = read_metrics(path) if path.exists() else []
        return self._rows


def _select(cfg: DictConfig | None, key: str, default: Any = None) -> Any:
    if cfg is None:
        return default
    return OmegaConf.select(cfg, key, default=default, throw_on_resolution_failure=False)


def _looks_like_run(folder: Path) -> bool:
    return (folder / ".hydra").is_dir() or (folder / "metrics.jsonl").exists()


def find_run_dirs(inputs: Sequence[str | Path]) -> tuple[list[Path], list[Path]]:
    """Run directories under the inputs.

    Returns:
        (runs, failed): folders with ``summary.json``, and run-looking folders (``.hydra/`` or
        ``metrics.jsonl``) without one; both sorted, without duplicates. A run directory's own
        subfolders are not searched.

    Raises:
        CompareError: an input does not exist.
    """
    runs: set[Path] = set()
    failed: set[Path] = set()

    def walk(folder: Path, depth: int) -> None:
        if (folder / "summary.json").exists():
            runs.add(folder)
        elif _looks_like_run(folder):
            failed.add(folder)
        elif depth < MAX_DEPTH:
            for child in sorted(folder.iterdir()):
                if child.is_dir() and not child.name.startswith("."):
                    walk(child, depth + 1)

    for item in inputs:
        path = Path(item)
        if not path.is_dir():
            raise CompareError(f"{path} is not a directory")
        walk(path.resolve(), 0)
    return sorted(runs), sorted(failed)


def _read_overrides(run_dir: Path) -> dict[str, str]:
    """``.hydra/overrides.yaml`` as {key: value} (leading ``+``/``++``/``~`` dropped)."""
    path = run_dir / ".hydra" / "overrides.yaml"
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


def _read_choices(run_dir: Path) -> dict[str, str]:
    """``hydra.runtime.choices`` of ``.hydra/hydra.yaml`` ({} without the file)."""
    path = run_dir / ".hydra" / "hydra.yaml"
    if not path.exists():
        return {}
    choices = OmegaConf.select(OmegaConf.load(path), "hydra.runtime.choices", default=None)
    if not isinstance(choices, DictConfig):
        return {}
    return {str(k): str(v) for k, v in choices.items() if v is not None}


def load_run(run_dir: str | Path) -> Run:
    """The :class:`Run` in ``run_dir`` (which must hold ``summary.json``)."""
    path = Path(run_dir)
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    return Run(path, summary, load_run_config(path), _read_overrides(path), _read_choices(path))


def run_value(run: Run, key: str) -> str | None:
    """A run's value for a ``--group-by`` key: the config's (a config group gives its
    ``name``), else the overrides', else Hydra's group choice, else the summary's; None when
    none has it."""
    value = _select(run.cfg, key, None)
    if isinstance(value, DictConfig):
        value = value.get("name")
    if value is None or isinstance(value, ListConfig):
        value = run.overrides.get(key, run.choices.get(key, run.summary.get(key)))
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def default_label_parts(run: Run) -> list[str]:
    """``method`` and ``mixer`` of a run's default row label. Variants that change what is
    trained get their own row: Dr. GRPO (``trainer.loss_type=dr_grpo``) is ``dr_grpo``, and
    the mixer carries ``+gdpo`` (``balancer.normalize=gdpo``) and ``+cond`` (conditioned
    rewards), e.g. ``grpo/average+gdpo``."""
    method = run.method
    if method == "grpo" and run_value(run, "trainer.loss_type") == "dr_grpo":
        method = "dr_grpo"
    mixer = run_value(run, "balancer.name") or "?"
    if run_value(run, "balancer.normalize") == "gdpo":
        mixer += "+gdpo"
    if _select(run.cfg, "balancer.conditions", None):
        mixer += "+cond"
    return [method, mixer]


def _short_model(name: str) -> str:
    return Path(name).name or name


def group_runs(runs: Sequence[Run], group_by: Sequence[str] | None = None) -> dict[str, list[Run]]:
    """Runs by row label: the ``group_by`` values joined by ``/``; by default
    ``trainer.method/balancer.name`` plus model and exp when the runs span several.

    Returns:
        {label: runs}, labels sorted.
    """
    groups: dict[str, list[Run]] = defaultdict(list)
    if group_by:
        missing: dict[str, int] = defaultdict(int)
        for run in runs:
            parts = []
            for key in group_by:
                value = run_value(run, key)
                if value is None:
                    missing[key] += 1
                parts.append("?" if value is None else value)
            groups["/".join(parts)].append(run)
        for key, count in missing.items():
            log.warning(
                "--group-by %s: no value in %d of %d runs (shown as ?)", key, count, len(runs)
            )
    else:
        several_models = len({r.model for r in runs}) > 1
        several_exps = len({r.exp for r in runs}) > 1
        for run in runs:
            parts = default_label_parts(run)
            if several_models:
                parts.append(_short_model(run.model))
            if several_exps:
                parts.append(run.exp)
            groups["/".join(parts)].append(run)
    return dict(sorted(groups.items()))


def zero_shot_groups(runs: Sequence[Run]) -> dict[str, list[Run]]:
    """Runs with ``eval.before`` scores by (model, exp): label ``zero-shot``, or
    ``zero-shot/<model>/<exp>`` (only the parts that vary) when there are several."""
    with_before = [r for r in runs if r.scores("before")]
    several_models = len({r.model for r in with_before}) > 1
    several_exps = len({r.exp for r in with_before}) > 1
    groups: dict[str, list[Run]] = defaultdict(list)
    for run in with_before:
        parts = [ZERO_SHOT]
        if several_models:
            parts.append(_short_model(run.model))
        if several_exps:
            parts.append(run.exp)
        groups["/".join(parts)].append(run)
    return dict(sorted(groups.items()))


# ---- table -------------------------------------------------------------------------------------
def per_seed_scores(
    runs: Sequence[Run], phase: str, metrics: Sequence[str]
) -> dict[int, dict[str, float]]:
    """Per seed, each metric's mean over the runs with that seed, and ``avg`` (the mean over
    the metrics present). Seeds with no score for any metric are left out.

    Returns:
        {seed: {metric: value, ..., "avg": value}}, seeds sorted, values in [0, 1].
    """
    by_seed: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        scores = run.scores(phase)
        for m in metrics:
            if scores.get(m) is not None:
                by_seed[run.seed][m].append(float(scores[m]))
    out: dict[int, dict[str, float]] = {}
    for seed in sorted(by_seed):
        values = {m: float(np.mean(v)) for m, v in by_seed[seed].items()}
        if values:
            out[seed] = {m: values[m] for m in metrics if m in values}
            out[seed][AVG] = float(np.mean(list(values.values())))
    return out


@dataclass
class Row:
    """One table row: a method (or the zero-shot policy) and its per-seed scores."""

    label: str
    runs: list[Run]
    per_seed: dict[int, dict[str, float]]
    before: dict[int, dict[str, float]]  # the same runs' eval.before per seed (t-test pairs)
    zero_shot: bool = False

    def column(self, col: str) -> dict[int, float]:
        """{seed: value} of one column (seeds without it left out)."""
        return {s: v[col] for s, v in self.per_seed.items() if col in v}

    def stats(self, col: str) -> tuple[float | None, float | None, int]:
        """(mean, sample std or None with < 2 seeds, seeds) of a column; mean None if empty."""
        values = list(self.column(col).values())
        if not values:
            return None, None, 0
        std = float(np.std(values, ddof=1)) if len(values) > 1 else None
        return float(np.mean(values)), std, len(values)


def build_rows(
    runs: Sequence[Run],
    metrics: Sequence[str],
    phase: str = "after",
    group_by: Sequence[str] | None = None,
) -> list[Row]:
    """The table's rows: zero-shot row(s) first (``phase == "after"`` only), then the methods
    sorted by label."""
    rows: list[Row] = []
    if phase == "after":
        for label, group in zero_shot_groups(runs).items():
            scores = per_seed_scores(group, "before", metrics)
            rows.append(Row(label, list(group), scores, scores, zero_shot=True))
    for label, group in group_runs(runs, group_by).items():
        rows.append(
            Row(
                label,
                list(group),
                per_seed_scores(group, phase, metrics),
                per_seed_scores(group, "before", metrics),
            )
        )
    return rows


def best_labels(rows: Sequence[Row], columns: Sequence[str]) -> dict[str, set[str]]:
    """Per column, the labels of the rows with the highest mean at the printed precision
    (x100, 2 decimals); empty when fewer than 2 rows have a value."""
    out: dict[str, set[str]] = {}
    for col in columns:
        means = {r.label: r.stats(col)[0] for r in rows}
        shown = {k: round(100 * v, 2) for k, v in means.items() if v is not None}
        top = max(shown.values()) if len(shown) >= 2 else None
        out[col] = {k for k, v in shown.items() if v == top}
    return out


def format_cell(mean: float | None, std: float | None) -> str:
    """``"20.00 ± 10.00"`` (x100), ``"20.00"`` without std, ``"-"`` without a mean."""
    if mean is None:
        return "-"
    return f"{100 * mean:.2f}" if std is None else f"{100 * mean:.2f} ± {100 * std:.2f}"


def table_cells(
    rows: Sequence[Row], columns: Sequence[str], mark: str
) -> tuple[list[str], list[list[str]]]:
    """(header, body) of the table; ``mark`` is ``"md"`` (best cell in ``**bold**``) or
    ``"csv"`` (best cell with a trailing ``*``)."""
    best = best_labels(rows, columns)
    body = []
    for row in rows:
        cells = [row.label, str(len(row.per_seed))]
        for col in columns:
            mean, std, _ = row.stats(col)
            text = format_cell(mean, std)
            if row.label in best[col]:
                text = f"**{text}**" if mark == "md" else f"{text}*"
            cells.append(text)
        body.append(cells)
    return ["method", "n", *columns], body


def markdown(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A markdown table; first column left-aligned, the others right-aligned."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, header: Sequence[str], body: Sequence[Sequence[Any]]) -> Path:
    """Write a CSV file; returns its path."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(body)
    return path


# ---- paired t-test -----------------------------------------------------------------------------
def paired_ttest(row: dict[int, float], base: dict[int, float]) -> dict[str, Any]:
    """``ttest_rel`` of row vs base on the seeds both have.

    Returns:
        {"n_pairs", "mean_diff" (row - base, [0, 1] units; None without pairs), "p_value"
        (None when not computable), "note" (why p is missing, else "")}.
    """
    seeds = sorted(set(row) & set(base))
    a = np.array([row[s] for s in seeds])
    b = np.array([base[s] for s in seeds])
    result: dict[str, Any] = {
        "n_pairs": len(seeds),
        "mean_diff": float(np.mean(a - b)) if seeds else None,
        "p_value": None,
        "note": "",
        "pairs": {s: [row[s], base[s]] for s in seeds},
    }
    if len(seeds) < 2:
        result["note"] = f"{len(seeds)} paired seed{'s' if len(seeds) != 1 else ''}, need 2"
    elif np.allclose(a - b, (a - b)[0], rtol=0.0, atol=1e-12):
        result["note"] = "differences have zero variance"
    else:
        result["p_value"] = float(stats.ttest_rel(a, b).pvalue)
    return result


def ttests(rows: Sequence[Row], baseline: Row, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Every other row against the baseline, per column. Against a zero-shot baseline each
    method row is paired with its own runs' ``before`` scores (other zero-shot rows are not
    tested).

    Returns:
        [{"method", "baseline", "metric", **paired_ttest(...)}] in row then column order.
    """
    out = []
    for row in rows:
        if row is baseline or (baseline.zero_shot and row.zero_shot):
            continue
        for col in columns:
            if baseline.zero_shot:
                base = {s: v[col] for s, v in row.before.items() if col in v}
            else:
                base = baseline.column(col)
            out.append(
                {"method": row.label, "baseline": baseline.label, "metric": col}
                | paired_ttest(row.column(col), base)
            )
    return out


def _format_p(p: float) -> str:
    return f"{p:.3g}"


def ttest_markdown(results: Sequence[dict[str, Any]], baseline: Row, columns: Sequence[str]) -> str:
    """``ttest.md``: one row per compared method, cells ``+diff (p=..., n=...)``."""
    against = (
        f"`{baseline.label}` (each run's own before-training scores)"
        if baseline.zero_shot
        else f"`{baseline.label}` (pairs by seed)"
    )
    cells: dict[str, dict[str, str]] = defaultdict(dict)
    for r in results:
        if r["mean_diff"] is None:
            text = f"n/a ({r['note']})"
        else:
            p = _format_p(r["p_value"]) if r["p_value"] is not None else f"n/a: {r['note']}"
            text = f"{100 * r['mean_diff']:+.2f} (p={p}, n={r['n_pairs']})"
        cells[r["method"]][r["metric"]] = text
    body = [[m, *(c.get(col, "-") for col in columns)] for m, c in cells.items()]
    title = (
        f"Paired t-test against {against}: mean difference (row - baseline) x100, "
        "two-sided p-value, n = paired seeds.\n\n"
    )
    return title + markdown(["method", *columns], body)


def ttest_csv_body(results: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """``ttest.csv`` lines: method, baseline, metric, n_pairs, mean_diff_x100, p_value, note."""
    return [
        [
            r["method"],
            r["baseline"],
            r["metric"],
            r["n_pairs"],
            "" if r["mean_diff"] is None else f"{100 * r['mean_diff']:.4f}",
            "n/a" if r["p_value"] is None else repr(r["p_value"]),
            r["note"],
        ]
        for r in results
    ]


# ---- plots -------------------------------------------------------------------------------------
def _mean_curve(
    curves: Sequence[tuple[list[int], list[float]]], carry_forward: bool
) -> tuple[list[int], list[float]]:
    """The mean of several (steps, values) curves, each sorted by step, at each step any of
    them has. With
    ``carry_forward`` a curve counts at a step it lacks with its last earlier value."""
    ordered = [(list(s), list(v)) for s, v in curves if s]  # each sorted by step
    steps = sorted({s for st, _ in ordered for s in st})
    means = []
    for step in steps:
        values = []
        for st, vs in ordered:
            i = bisect_right(st, step) - 1
            if i >= 0 and (carry_forward or st[i] == step):
                values.append(vs[i])
        means.append(float(np.mean(values)))
    return steps, means


def method_curves(
    rows: Sequence[Row], prefix: str, running: bool = False
) -> dict[str, dict[str, tuple[list[int], list[float]]]]:
    """Per method row and per ``prefix`` metric (e.g. ``weight/``), the mean curve over the
    row's runs (each run's running mean first when ``running``).

    Returns:
        {label: {metric: (steps, mean values)}}; rows and metrics without data left out.
    """
    out: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
    for row in rows:
        if row.zero_shot:
            continue
        per_metric: dict[str, list[tuple[list[int], list[float]]]] = defaultdict(list)
        for run in row.runs:
            for metric, (steps, values) in _series(run.metric_rows(), prefix).items():
                order = np.argsort(steps, kind="stable")
                steps = [steps[i] for i in order]
                values = [values[i] for i in order]
                per_metric[metric].append((steps, _running_mean(values) if running else values))
        curves = {m: _mean_curve(c, carry_forward=running) for m, c in per_metric.items()}
        if curves:
            out[row.label] = curves
    return out


def _method_colors(labels: Sequence[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    return {label: cmap(i % 10) for i, label in enumerate(labels)}


def plot_metric_grid(
    curves: dict[str, dict[str, tuple[list[int], list[float]]]],
    title: str,
    ylabel: str,
    path: Path,
) -> Path | None:
    """One subplot per metric, one line per method; returns ``path``, or None (nothing
    written) when there is no curve."""
    metrics = sorted({m for per_metric in curves.values() for m in per_metric})
    if not metrics:
        return None
    ncols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.5 * ncols, 3.2 * nrows), squeeze=False, sharex=True
    )
    colors = _method_colors(list(curves))
    for ax, metric in zip(axes.flat, metrics, strict=False):
        for label, per_metric in curves.items():
            if metric in per_metric:
                steps, values = per_metric[metric]
                ax.plot(steps, values, label=label, color=colors[label], lw=1.2)
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    for ax in list(axes.flat)[1 : len(metrics)]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06 + 0.03 * math.ceil(len(labels) / 4), 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def method_arm_utilization(rows: Sequence[Row]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per method row with bandit runs, each arm's fraction of steps (``arm_utilization`` of
    each run that logs ``arm``), as (mean, std) over those runs (std 0 with one run).

    Returns:
        {label: {arm: (mean, std)}}; rows without any ``arm`` left out.
    """
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for row in rows:
        if row.zero_shot:
            continue
        per_run = [u for u in (arm_utilization(r.metric_rows()) for r in row.runs) if u]
        if not per_run:
            continue
        arms = list(dict.fromkeys(a for u in per_run for a in u))
        out[row.label] = {
            a: (
                float(np.mean([u.get(a, 0.0) for u in per_run])),
                float(np.std([u.get(a, 0.0) for u in per_run], ddof=1))
                if len(per_run) > 1
                else 0.0,
            )
            for a in arms
        }
    return out


def plot_arm_utilization_by_method(
    utilization: dict[str, dict[str, tuple[float, float]]], path: Path
) -> Path | None:
    """Grouped bars: x = arms, one bar per method (mean over seeds, std error bar); returns
    ``path``, or None (nothing written) without data."""
    if not utilization:
        return None
    arms = list(dict.fromkeys(a for u in utilization.values() for a in u))
    labels = list(utilization)
    colors = _method_colors(labels)
    width = 0.8 / len(labels)
    x = np.arange(len(arms))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(arms) * max(1, len(labels) / 2)), 4))
    for i, label in enumerate(labels):
        means = [utilization[label].get(a, (0.0, 0.0))[0] for a in arms]
        stds = [utilization[label].get(a, (0.0, 0.0))[1] for a in arms]
        ax.bar(
            x + (i - (len(labels) - 1) / 2) * width,
            means,
            width,
            yerr=stds,
            capsize=2,
            label=label,
            color=colors[label],
        )
    ax.axhline(1 / len(arms), color="gray", ls="--", lw=1, label="uniform 1/K")
    ax.set_xticks(x, arms, rotation=30)
    ax.set_ylim(0, 1)
    ax.set_ylabel("fraction of steps")
    ax.set_title("arm utilization per method (mean over seeds)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(rows: Sequence[Row], out: Path) -> list[Path]:
    """weights.png, rewards.png and arm_utilization.png in ``out``; returns those written
    (a plot without data is skipped)."""
    figures = [
        plot_metric_grid(
            method_curves(rows, "weight/"),
            "mixing weight per step (mean over seeds)",
            "weight",
            out / "weights.png",
        ),
        plot_metric_grid(
            method_curves(rows, "reward/", running=True),
            "raw reward (running mean per run, mean over seeds)",
            "reward",
            out / "rewards.png",
        ),
        plot_arm_utilization_by_method(method_arm_utilization(rows), out / "arm_utilization.png"),
    ]
    return [p for p in figures if p is not None]


# ---- driver ------------------------------------------------------------------------------------
def default_out(inputs: Sequence[str | Path]) -> Path:
    """``<common parent of the inputs>/compare`` (the input itself when there is one)."""
    return Path(os.path.commonpath([str(Path(p).resolve()) for p in inputs])) / "compare"


def _metric_columns(runs: Sequence[Run], phase: str, wanted: Sequence[str] | None) -> list[str]:
    """The table's metrics: ``wanted`` in its order, else every ``eval[phase]`` name sorted.

    Raises:
        CompareError: no metric, or a wanted metric no run has.
    """
    available = sorted({m for r in runs for m in r.scores(phase)})
    if not wanted:
        if not available:
            raise CompareError(f"no run has eval.{phase} scores in summary.json")
        return available
    unknown = [m for m in wanted if m not in available]
    if unknown:
        raise CompareError(
            f"--metrics {','.join(unknown)}: not in any run's eval.{phase} (have: {', '.join(available) or 'none'})"
        )
    return list(dict.fromkeys(wanted))


def _pick_baseline(rows: Sequence[Row], name: str | None) -> Row:
    """The row named ``name``; by default the first zero-shot row, else the first row.
    ``zero-shot`` also names the zero-shot baseline when those rows carry model/exp suffixes.

    Raises:
        CompareError: no row has that label.
    """
    if name is None:
        return next((r for r in rows if r.zero_shot), rows[0])
    for row in rows:
        if row.label == name:
            return row
    if name == ZERO_SHOT:
        zero = [r for r in rows if r.zero_shot]
        if zero:
            return zero[0]
    raise CompareError(
        f"--baseline {name!r} is not a row; rows: {', '.join(r.label for r in rows)}"
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def compare(
    inputs: Sequence[str | Path],
    out: str | Path | None = None,
    baseline: str | None = None,
    group_by: Sequence[str] | None = None,
    phase: str = "after",
    metrics: Sequence[str] | None = None,
    plots: bool = True,
) -> dict[str, Any]:
    """Build every output into ``out`` (see the module docstring); ``plots=False`` skips
    the PNG files.

    Returns:
        The content of ``results.json``, plus ``"markdown"`` (table.md's text) and
        ``"ttest_markdown"``.

    Raises:
        CompareError: no run found, no metric, an unknown ``--metrics`` name or baseline.
    """
    run_dirs, failed = find_run_dirs(inputs)
    for folder in failed:
        log.warning("skipping %s: no summary.json (failed or unfinished run)", folder)
    if not run_dirs:
        raise CompareError(
            f"no run directory (a folder with summary.json) under {', '.join(map(str, inputs))}"
        )
    runs = [load_run(d) for d in run_dirs]
    log.info("%d runs, %d skipped", len(runs), len(failed))
    columns = [*_metric_columns(runs, phase, metrics), AVG]
    rows = build_rows(runs, columns[:-1], phase, group_by)
    base = _pick_baseline(rows, baseline)
    out = Path(out) if out is not None else default_out(inputs)
    out.mkdir(parents=True, exist_ok=True)

    caption = (
        f"Eval scores ({phase} training) x100, mean ± std over seeds (n); "
        "**bold** = best per column.\n\n"
    )
    table_md = caption + markdown(*table_cells(rows, columns, "md"))
    (out / "table.md").write_text(table_md, encoding="utf-8")
    written = [out / "table.md", write_csv(out / "table.csv", *table_cells(rows, columns, "csv"))]

    tests = ttests(rows, base, columns)
    ttest_md = ttest_markdown(tests, base, columns)
    (out / "ttest.md").write_text(ttest_md, encoding="utf-8")
    written.append(out / "ttest.md")
    header = ["method", "baseline", "metric", "n_pairs", "mean_diff_x100", "p_value", "note"]
    written.append(write_csv(out / "ttest.csv", header, ttest_csv_body(tests)))

    row_of = {id(r): row.label for row in rows if not row.zero_shot for r in row.runs}
    intervals = interval_cells(runs, row_of, columns)
    if intervals[1]:
        (out / "intervals.md").write_text(
            "Per run: x100, mean ± half-width of the 95 % bootstrap interval over the eval "
            "rows (n); delta = paired after - before.\n\n" + markdown(*intervals),
            encoding="utf-8",
        )
        written += [out / "intervals.md", write_csv(out / "intervals.csv", *intervals)]

    if plots:
        written += write_plots(rows, out)

    results = {
        "phase": phase,
        "units": "fraction in [0, 1]; the tables print x100",
        "columns": columns,
        "group_by": list(group_by) if group_by else None,
        "baseline": base.label,
        "runs": [
            {
                "path": str(r.path),
                "row": row_of[id(r)],
                "seed": r.seed,
                "method": r.method,
                "model": r.model,
                "exp": r.exp,
                "steps": r.summary.get("steps"),
                "wall_s": r.summary.get("wall_s"),
                "before": r.scores("before"),
                "after": r.scores("after"),
                "eval_ci": r.summary.get("eval_ci"),
            }
            for r in runs
        ],
        "skipped": [str(f) for f in failed],
        "rows": [_row_json(row, columns, best_labels(rows, columns)) for row in rows],
        "ttest": tests,
    }
    results["files"] = [str(p) for p in [*written, out / "results.json"]]
    (out / "results.json").write_text(json.dumps(_jsonable(results), indent=2), encoding="utf-8")
    for path in results["files"]:
        log.info("wrote %s", path)
    return results | {"markdown": table_md, "ttest_markdown": ttest_md}


def interval_cells(
    runs: Sequence[Run], row_of: dict[int, str], columns: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    """(header, body) of the per-run interval table from each summary's ``eval_ci``."""
    from common.stats import format_mean_ci

    body = []
    for run in sorted(runs, key=lambda r: (row_of.get(id(r), ""), r.seed)):
        ci = run.summary.get("eval_ci") or {}
        for col in columns:
            b, a, d = (ci.get(k, {}).get(col) for k in ("before", "after", "difference"))
            if not (b or a):
                continue
            delta = format_mean_ci(d["value"], d) if d else ""
            body.append(
                [
                    row_of.get(id(run), "zero-shot"),
                    str(run.seed),
                    col,
                    str((a or b)["n"]),
                    format_mean_ci(b["value"], b) if b else "",
                    format_mean_ci(a["value"], a) if a else "",
                    f"+{delta}" if delta and not delta.startswith("-") else delta,
                    "within noise" if d and d.get("within_noise") else "",
                ]
            )
    header = ["method", "seed", "metric", "n", "before", "after", "delta", "noise"]
    return header, body


def _row_json(row: Row, columns: Sequence[str], best: dict[str, set[str]]) -> dict[str, Any]:
    stats_by_col = {c: row.stats(c) for c in columns}
    return {
        "label": row.label,
        "zero_shot": row.zero_shot,
        "n": len(row.per_seed),
        "seeds": list(row.per_seed),
        "runs": [str(r.path) for r in row.runs],
        "per_seed": row.per_seed,
        "mean": {c: s[0] for c, s in stats_by_col.items()},
        "std": {c: s[1] for c, s in stats_by_col.items()},
        "n_per_column": {c: s[2] for c, s in stats_by_col.items()},
        "best": [c for c in columns if row.label in best[c]],
    }


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit status (0 success, 1 nothing to compare)."""
    ap = argparse.ArgumentParser(
        prog="python -m experiments.compare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("inputs", nargs="+", type=Path, metavar="RUN_OR_SWEEP_DIR")
    ap.add_argument(
        "--out", type=Path, default=None, help="output folder (default: <common parent>/compare)"
    )
    ap.add_argument(
        "--baseline",
        default=None,
        metavar="LABEL",
        help="row the t-tests compare against (default: zero-shot if present, else the first row)",
    )
    ap.add_argument(
        "--group-by",
        type=_csv_list,
        default=None,
        metavar="KEY[,KEY]",
        help="config keys whose values label the rows (default: trainer.method,balancer.name)",
    )
    ap.add_argument(
        "--phase",
        choices=("after", "before"),
        default="after",
        help="which eval scores fill the table (default: after; the zero-shot row comes with it)",
    )
    ap.add_argument(
        "--metrics",
        type=_csv_list,
        default=None,
        metavar="m1,m2",
        help="metrics to show, in this order (default: all, sorted)",
    )
    ap.add_argument("--no-plots", action="store_true", help="write the tables only")
    args = ap.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        results = compare(
            args.inputs,
            args.out,
            args.baseline,
            args.group_by,
            args.phase,
            args.metrics,
            plots=not args.no_plots,
        )
    except CompareError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(results["markdown"])
    print(results["ttest_markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
