"""Did the training reward move? The mean of the first vs the last quarter of a run's steps.

From ``metrics.jsonl`` (one row per optimizer step) it takes the training reward the loop
logs, ``reward`` by default (the step's mean mixed reward, :meth:`common.mixers.step.
RewardStep.figures`: standardized for DRBO, the sources' 0-1 scores mixed otherwise), of the
first ``q = floor(S / 4)`` and the last ``q`` of the S steps that logged one, and reports

    difference = mean(last quarter) - mean(first quarter)

with its 95 % Welch t interval (``scipy.stats.ttest_ind(..., equal_var=False)``: steps as
independent draws with unequal variances; neighbouring steps are correlated, so the interval
is a guide, not a test) and a verdict: ``rising`` when the interval lies above 0,
``falling`` below 0, ``flat`` when it contains 0. Both quarters need 2 steps (S >= 8);
with fewer the verdict is None and ``reason`` says why. With dynamic weights the mixed
reward also moves because the mix changes; the per-source ``reward/<m>`` keys can be passed
as ``key`` to separate the two.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

CONFIDENCE = 0.95
KEY = "reward"
VERDICTS = ("rising", "flat", "falling")
MIN_PER_QUARTER = 2


def step_values(rows: Iterable[Mapping[str, Any]], key: str = KEY) -> np.ndarray:
    """``key`` of each step, in step order, shape (S,): one value per step (a repeated step
    keeps its last row), steps without a finite value left out."""
    by_step: dict[int, float] = {}
    for row in rows:
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value):
                by_step[int(row["step"])] = float(value)
    return np.array([by_step[s] for s in sorted(by_step)], dtype=np.float64)


def train_trend(
    rows: Iterable[Mapping[str, Any]], key: str = KEY, confidence: float = CONFIDENCE
) -> dict[str, Any]:
    """The trend of ``key`` over the steps of ``rows`` (module docstring).

    Returns:
        ``{"key", "steps" (S), "n_first", "n_last" (q each), "first_mean", "last_mean",
        "difference", "lo", "hi", "confidence", "method", "verdict", "reason"}``; the means,
        interval and verdict are None when S < 8 (``reason`` says so, else it is None).
    """
    return pooled_trend([step_values(rows, key)], key, confidence)


def pooled_trend(
    series: Sequence[np.ndarray], key: str = KEY, confidence: float = CONFIDENCE
) -> dict[str, Any]:
    """The trend of several runs of one condition (seeds): each run's first and last quarter
    (``q_r = floor(S_r / 4)`` steps of run r) pooled, then the same difference, interval and
    verdict as :func:`train_trend` (which is this with one run). ``steps`` is the total
    S over the runs, ``n_first``/``n_last`` the pooled quarter sizes."""
    from scipy import stats

    firsts = [v[: len(v) // 4] for v in series]
    lasts = [v[len(v) - len(v) // 4 :] for v in series]
    first = np.concatenate(firsts) if firsts else np.zeros(0)
    last = np.concatenate(lasts) if lasts else np.zeros(0)
    total = int(sum(len(v) for v in series))
    out: dict[str, Any] = {
        "key": key,
        "steps": total,
        "n_first": int(len(first)),
        "n_last": int(len(last)),
        "first_mean": None,
        "last_mean": None,
        "difference": None,
        "lo": None,
        "hi": None,
        "confidence": confidence,
        "method": "Welch t interval of mean(last quarter) - mean(first quarter), steps as draws",
        "verdict": None,
        "reason": None,
    }
    if min((len(v) // 4 for v in series), default=0) < MIN_PER_QUARTER:
        out["reason"] = (
            f"needs >= {4 * MIN_PER_QUARTER} steps with a {key!r} value "
            f"({MIN_PER_QUARTER} per quarter) in every run, got {[len(v) for v in series]}"
            if len(series) > 1
            else f"needs >= {4 * MIN_PER_QUARTER} steps with a {key!r} value "
            f"({MIN_PER_QUARTER} per quarter), got {total}"
        )
        return out
    diff = float(last.mean() - first.mean())
    if first.var() == 0 and last.var() == 0:  # no spread: Welch's interval is undefined
        lo = hi = diff
    else:
        ci = stats.ttest_ind(last, first, equal_var=False).confidence_interval(confidence)
        lo, hi = float(ci.low), float(ci.high)
    out.update(
        first_mean=float(first.mean()),
        last_mean=float(last.mean()),
        difference=diff,
        lo=lo,
        hi=hi,
        verdict="rising" if lo > 0 else "falling" if hi < 0 else "flat",
    )
    return out


def trend_of_run(run_dir: str | Path, key: str = KEY) -> dict[str, Any]:
    """:func:`train_trend` of a run directory's ``metrics.jsonl``."""
    from common.rundir.runs import read_run_metrics

    return train_trend(read_run_metrics(run_dir), key)


def format_trend(trend: Mapping[str, Any]) -> str:
    """One line for the run summary, e.g. ``training reward (reward): first quarter 0.1200
    (8 steps) -> last quarter 0.3100 (8 steps): +0.1900 [95 % CI +0.0800, +0.3000] rising``."""
    head = f"training reward ({trend['key']})"
    if trend["verdict"] is None:
        return f"{head}: no trend: {trend['reason']}"
    pct = f"{100 * trend['confidence']:.0f} %"
    return (
        f"{head}: first quarter {trend['first_mean']:.4f} ({trend['n_first']} steps) -> "
        f"last quarter {trend['last_mean']:.4f} ({trend['n_last']} steps): "
        f"{trend['difference']:+.4f} [{pct} CI {trend['lo']:+.4f}, {trend['hi']:+.4f}] "
        f"{trend['verdict']}"
    )
