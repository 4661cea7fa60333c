"""Confidence intervals for reported scores: a seeded percentile bootstrap over rows.

A reported score is a statistic of the rows behind it (a mean, a micro-F1 over summed counts,
ALCE's mean over rows that have a sentence). The bootstrap resamples those rows with
replacement ``resamples`` times, recomputes the SAME statistic on each resample (micro-F1 is
recomputed from the resampled counts, never averaged per row), and reports the 2.5th and
97.5th percentiles (95 %): Efron & Tibshirani (1993), "An Introduction to the Bootstrap",
ch. 13. A benchmark score that averages several tasks (ShopBench's overall = mean over tasks)
resamples each task's rows on their own (a stratified bootstrap, task sizes fixed) and
recomputes the mean over tasks per resample. A before/after difference measured on the same
examples resamples the row indices once for both (a paired bootstrap); when its interval
contains 0 the difference is within noise. A ratio of row sums (IFEval's instruction-level
accuracy: passed instructions / instructions, rows = prompts) is recomputed from the resampled
rows' sums (:func:`bootstrap_ratios`), never averaged per row.

Everything is seeded: the same rows give the same interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from common.rewards.base import RewardOutput, micro_f1

CONFIDENCE = 0.95
RESAMPLES = 1000
SEED = 0


@dataclass(frozen=True)
class Interval:
    """A score, its bootstrap interval and the number of rows behind it (0-1 scale)."""

    value: float
    lo: float
    hi: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2

    @property
    def contains_zero(self) -> bool:
        return self.lo <= 0.0 <= self.hi

    def to_dict(self) -> dict[str, float | int]:
        return {"value": self.value, "lo": self.lo, "hi": self.hi, "n": self.n}


def method_record(resamples: int = RESAMPLES, confidence: float = CONFIDENCE, seed: int = SEED):
    """How intervals were computed, stored beside them in reports."""
    return {
        "method": "percentile bootstrap over rows (stratified by task; paired for differences)",
        "confidence": confidence,
        "resamples": resamples,
        "seed": seed,
    }


def resample_indices(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices drawn with replacement, shape (resamples, n)."""
    return rng.integers(0, n, size=(resamples, n))


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The central ``confidence`` percentile interval of bootstrap ``samples``, shape (R,)."""
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(np.asarray(samples, dtype=np.float64), [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def aggregate_rows(output: RewardOutput, aggregation: str, idx: np.ndarray) -> np.ndarray:
    """The task-level statistic of ``output`` on each resample of rows.

    Args:
        output: B rows of one scorer.
        aggregation: ``mean``, ``micro_f1`` (tp/fp/fn summed then F1) or ``mean_scored``
            (mean over rows with ``counts["scored"]`` = 1, 0 when a resample has none) or
            ``mean_reported`` (mean of ``counts["reported"]``), as
            :meth:`common.rewards.base.Scorer.aggregate`.
        idx: row indices, shape (R, B) (or (B,) for one resample).

    Returns:
        shape (R,): the statistic recomputed on each resample.
    """
    idx = np.atleast_2d(idx)
    if aggregation == "mean":
        return output.scores[idx].mean(axis=1)
    if aggregation == "micro_f1":
        tp, fp, fn = (
            output.counts[k][idx].sum(axis=1).astype(np.float64) for k in ("tp", "fp", "fn")
        )
        return np.array([micro_f1(a, b, c) for a, b, c in zip(tp, fp, fn, strict=True)])
    if aggregation == "mean_scored":
        scored = output.counts["scored"].astype(np.float64)[idx]
        total = (output.scores[idx] * scored).sum(axis=1)
        count = scored.sum(axis=1)
        return np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    if aggregation == "mean_reported":
        reported = output.counts.get("reported", output.scores)  # older checkpoints: scores
        return np.asarray(reported, dtype=np.float64)[idx].mean(axis=1)
    raise ValueError(
        f"unknown aggregation {aggregation!r}; allowed: mean, micro_f1, mean_scored, mean_reported"
    )


def bootstrap_score(
    output: RewardOutput,
    aggregation: str,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> Interval:
    """The statistic of all rows and its bootstrap interval."""
    n = len(output)
    value = float(aggregate_rows(output, aggregation, np.arange(n))[0]) if n else 0.0
    if n == 0:
        return Interval(value, value, value, 0)
    rng = np.random.default_rng(seed)
    lo, hi = percentile_interval(
        aggregate_rows(output, aggregation, resample_indices(n, resamples, rng)), confidence
    )
    return Interval(value, lo, hi, n)


def bootstrap_paired_difference(
    before: RewardOutput,
    after: RewardOutput,
    aggregation: str,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> Interval:
    """``after - before`` on the same rows (row i of both scored the same example), with
    one resample of row indices shared by both sides."""
    n = len(after)
    if len(before) != n:
        raise ValueError(f"paired difference needs the same rows: {len(before)} before, {n} after")
    every = np.arange(n)
    value = (
        float(
            aggregate_rows(after, aggregation, every)[0]
            - aggregate_rows(before, aggregation, every)[0]
        )
        if n
        else 0.0
    )
    if n == 0:
        return Interval(value, value, value, 0)
    idx = resample_indices(n, resamples, np.random.default_rng(seed))
    diffs = aggregate_rows(after, aggregation, idx) - aggregate_rows(before, aggregation, idx)
    lo, hi = percentile_interval(diffs, confidence)
    return Interval(value, lo, hi, n)


def resample_groups(
    groups: Mapping[Any, tuple[RewardOutput, str]],
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> dict[Any, np.ndarray]:
    """Stratified bootstrap: each group's rows resampled on their own (group sizes fixed).

    Args:
        groups: group id -> (its rows, its aggregation), e.g. ShopBench's (task, metric).

    Returns:
        group id -> its statistic on each resample, shape (R,). Scores built from groups
        (a task's row-weighted mean, a mean over tasks) are recomputed from these arrays
        resample by resample, so their intervals keep the between-group structure.
    """
    rng = np.random.default_rng(seed)
    return {
        gid: aggregate_rows(output, aggregation, resample_indices(len(output), resamples, rng))
        for gid, (output, aggregation) in groups.items()
    }


def interval_from(value: float, samples: np.ndarray, n: int, confidence: float = CONFIDENCE):
    """An :class:`Interval` from a point value and its bootstrap samples, shape (R,)."""
    lo, hi = percentile_interval(samples, confidence)
    return Interval(float(value), lo, hi, int(n))


def ratio_of_sums(num: np.ndarray, den: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Each column's ``sum num / sum den`` over the rows of each resample.

    Args:
        num, den: per-row numerators and denominators, shape (B, K) (K statistics of the
            same rows, e.g. IFEval's passed instructions / instructions of each prompt).
        idx: row indices, shape (R, B) (or (B,) for one resample).

    Returns:
        shape (R, K); 0 where a resample's denominator is 0.
    """
    idx = np.atleast_2d(idx)
    n = np.asarray(num, dtype=np.float64)[idx].sum(axis=1)
    d = np.asarray(den, dtype=np.float64)[idx].sum(axis=1)
    return np.divide(n, d, out=np.zeros_like(n), where=d > 0)


def bootstrap_ratios(
    num: np.ndarray, den: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Ratios of row sums and their bootstrap samples, every column on the same resamples.

    Rows are the resampling unit (a cluster bootstrap: a prompt's instructions stay together,
    since they share one response). A mean is the case ``den = 1``.

    Args:
        num, den: shape (B, K), see :func:`ratio_of_sums`.

    Returns:
        (point ratios, shape (K,); samples, shape (R, K)). Pass a column of each to
        :func:`interval_from`; a statistic of several columns (their mean) is recomputed
        from the samples row by row.
    """
    num = np.asarray(num, dtype=np.float64)
    b = num.shape[0]
    point = ratio_of_sums(num, den, np.arange(b))[0]
    idx = resample_indices(b, resamples, np.random.default_rng(seed))
    return point, ratio_of_sums(num, den, idx)


def format_mean_ci(
    value: float | None, interval: Mapping[str, Any] | Interval | None, scale: float = 100.0
) -> str:
    """``"12.34 ± 1.56"`` (x ``scale``; the half-width of the interval), or the bare value
    when there is no interval."""
    if value is None:
        return ""
    if interval is None:
        return f"{scale * value:.2f}"
    lo, hi = (
        (interval.lo, interval.hi)
        if isinstance(interval, Interval)
        else (interval["lo"], interval["hi"])
    )
    return f"{scale * value:.2f} ± {scale * (hi - lo) / 2:.2f}"


def eval_intervals(
    aggregations: Mapping[str, str],
    before: Mapping[str, RewardOutput] | None,
    after: Mapping[str, RewardOutput] | None,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> dict[str, Any]:
    """Intervals of a run's before/after evaluation, per metric and for ``avg`` (the mean over
    metrics, recomputed per resample), and of each paired ``after - before`` difference.

    Args:
        aggregations: metric -> its scorer's aggregation.
        before, after: metric -> its rows on the eval split (either may be None or empty).

    Returns:
        ``{"before": {m: {value, lo, hi, n}}, "after": {...}, "difference": {m: {value, lo,
        hi, n, within_noise}}, "method": {...}}``; a side without rows is left out, and a
        difference needs the same rows before and after.
    """
    out: dict[str, Any] = {"method": method_record(resamples, confidence, seed)}
    for phase, outputs in (("before", before), ("after", after)):
        if not outputs:
            continue
        groups = {m: (o, aggregations[m]) for m, o in outputs.items() if len(o)}
        samples = resample_groups(groups, resamples, seed)
        point = {
            m: float(aggregate_rows(o, a, np.arange(len(o)))[0]) for m, (o, a) in groups.items()
        }
        table = {
            m: interval_from(point[m], samples[m], len(groups[m][0]), confidence).to_dict()
            for m in groups
        }
        if groups:
            table["avg"] = interval_from(
                float(np.mean(list(point.values()))),
                np.mean(list(samples.values()), axis=0),
                sum(len(o) for o, _ in groups.values()),
                confidence,
            ).to_dict()
        out[phase] = table
    if before and after:
        diffs, values, sizes, table = [], [], [], {}
        for m in sorted(set(before) & set(after)):
            if len(before[m]) != len(after[m]) or not len(after[m]):
                continue
            rng = np.random.default_rng(seed)
            n = len(after[m])
            idx = resample_indices(n, resamples, rng)
            every = np.arange(n)
            agg = aggregations[m]
            d = aggregate_rows(after[m], agg, idx) - aggregate_rows(before[m], agg, idx)
            value = float(
                aggregate_rows(after[m], agg, every)[0] - aggregate_rows(before[m], agg, every)[0]
            )
            iv = interval_from(value, d, n, confidence)
            table[m] = {**iv.to_dict(), "within_noise": iv.contains_zero}
            diffs.append(d)
            values.append(value)
            sizes.append(n)
        if diffs:
            iv = interval_from(
                float(np.mean(values)), np.mean(diffs, axis=0), sum(sizes), confidence
            )
            table["avg"] = {**iv.to_dict(), "within_noise": iv.contains_zero}
        out["difference"] = table
    return out


def outputs_to_json(outputs: Mapping[str, RewardOutput]) -> dict[str, Any]:
    """Rows of each metric as JSON (for a checkpoint's state), read back by
    :func:`outputs_from_json`."""
    return {
        m: {
            "scores": o.scores.tolist(),
            "parse_failed": o.parse_failed.tolist(),
            "counts": {k: v.tolist() for k, v in o.counts.items()},
        }
        for m, o in outputs.items()
    }


def outputs_from_json(data: Mapping[str, Any] | None) -> dict[str, RewardOutput]:
    return {
        m: RewardOutput(
            m,
            np.asarray(d["scores"]),
            np.asarray(d["parse_failed"]),
            {k: np.asarray(v) for k, v in d.get("counts", {}).items()},
        )
        for m, d in (data or {}).items()
    }
