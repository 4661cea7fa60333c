"""The numbers behind the tables: per-seed scores, rows (mean ± std over seeds), the best
cell per column and paired t-tests against a baseline row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from common.rundir.runs import RunDir
from experiments.compare.discovery import group_runs, zero_shot_groups

AVG = "avg"


def per_seed_scores(
    runs: Sequence[RunDir], phase: str, metrics: Sequence[str]
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
    runs: list[RunDir]
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
    runs: Sequence[RunDir],
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


def runs_sharing_a_seed(row: Row) -> dict[int, list[RunDir]]:
    """{seed: runs} for the seeds of ``row`` that more than one run scores (the per-seed
    value would be their mean, counted as one seed)."""
    by_seed: dict[int, list[RunDir]] = defaultdict(list)
    for run in row.runs:
        by_seed[run.seed].append(run)
    return {s: runs for s, runs in sorted(by_seed.items()) if len(runs) > 1}


def keys_that_differ(runs: Sequence[RunDir]) -> list[str]:
    """The Hydra overrides (``.hydra/overrides.yaml``) whose values differ between ``runs``
    (``hydra.*`` and ``seed`` left out), sorted: the ``--group-by`` keys that tell them apart."""
    keys = sorted({k for r in runs for k in r.overrides})
    return [
        k
        for k in keys
        if not k.startswith("hydra.")
        and k != "seed"
        and len({r.overrides.get(k) for r in runs}) > 1
    ]


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
