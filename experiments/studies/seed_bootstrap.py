"""Intervals for a study's cells: a two-level bootstrap over seeds and prompts.

A cell (condition x metric) holds, for each of S seeds, N per-prompt pairs (num, den) on the
same N held-out prompts; its value is the mean over seeds of each seed's ratio

    value = 1/S * sum_s  sum_n num[s, n] / sum_n den[s, n]

(a masked mean: num = score, den = 1 where the metric applies and 0 elsewhere; IFEval's
instruction-level accuracy: num = instructions passed, den = instructions). Each bootstrap
resample draws S seeds with replacement and N prompts with replacement and recomputes the
value (Davison & Hinkley 1997, "Bootstrap Methods and their Application", sec. 3.8: resampling
both stages of a two-stage design). So an interval carries both the training-seed
variance and the sampling of prompts. With S = 3 the seed stage has only 10 distinct
multisets: intervals are honest but coarse. Differences between two conditions resample the
prompts once for both sides (paired on prompts) and the seeds of each side on their own
(independent training runs).

A score that is not a ratio of row sums (ShopBench's overall: micro-F1 per task, then the
mean over tasks) comes as a :class:`ResampledCell`: each seed's value and its bootstrap
samples over rows, drawn with the same row indices for every seed and condition (the
evaluator's seeded resampling, :func:`common.rewards.shopbench_eval.score_shopbench`); the
seed stage is added on top in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from common.evaluation.stats import CONFIDENCE, RESAMPLES, SEED, Interval, percentile_interval


@dataclass(frozen=True)
class Cell:
    """Per-seed, per-prompt numerators and denominators, each shape (S, N)."""

    num: np.ndarray
    den: np.ndarray

    def __post_init__(self) -> None:
        num = np.atleast_2d(np.asarray(self.num, dtype=np.float64))
        den = np.atleast_2d(np.asarray(self.den, dtype=np.float64))
        if num.shape != den.shape:
            raise ValueError(f"num {num.shape} and den {den.shape} differ in shape")
        object.__setattr__(self, "num", num)
        object.__setattr__(self, "den", den)

    @property
    def seeds(self) -> int:
        return self.num.shape[0]

    @property
    def n(self) -> int:
        """Prompts the metric applies to (den > 0 for some seed), times seeds."""
        return int((self.den > 0).any(axis=0).sum()) * self.seeds

    def per_seed(self) -> np.ndarray:
        """Each seed's value, shape (S,)."""
        return _ratio(self.num.sum(axis=1), self.den.sum(axis=1))

    def value(self) -> float:
        return float(self.per_seed().mean())


@dataclass(frozen=True)
class ResampledCell:
    """Each seed's value, shape (S,), and its row-bootstrap samples, shape (S, R); sample r
    of every seed (and of every other cell on the same rows) used the same row indices."""

    values: np.ndarray
    samples: np.ndarray
    rows: int

    def __post_init__(self) -> None:
        values = np.atleast_1d(np.asarray(self.values, dtype=np.float64))
        samples = np.atleast_2d(np.asarray(self.samples, dtype=np.float64))
        if samples.shape[0] != values.shape[0]:
            raise ValueError(f"{values.shape[0]} seed values but {samples.shape[0]} sample rows")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "samples", samples)

    @property
    def seeds(self) -> int:
        return self.values.shape[0]

    @property
    def n(self) -> int:
        return int(self.rows) * self.seeds

    def per_seed(self) -> np.ndarray:
        return self.values

    def value(self) -> float:
        return float(self.values.mean())


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=den > 0)


def _resampled(cell, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The cell's value on each resample: rows (R, N) prompt indices (ignored by a
    :class:`ResampledCell`, whose samples carry their own); seeds drawn here. Shape (R,)."""
    if isinstance(cell, ResampledCell):
        R = min(rows.shape[0], cell.samples.shape[1])
        seeds = rng.integers(0, cell.seeds, size=(R, cell.seeds))
        return cell.samples[seeds, np.arange(R)[:, None]].mean(axis=1)
    num = cell.num[:, rows].sum(axis=2).T  # (R, S): each seed's sums on each resample
    den = cell.den[:, rows].sum(axis=2).T
    seeds = rng.integers(0, cell.seeds, size=num.shape)  # (R, S)
    pick = np.take_along_axis
    return _ratio(pick(num, seeds, 1), pick(den, seeds, 1)).mean(axis=1)


def _prompts(cell) -> int:
    return cell.rows if isinstance(cell, ResampledCell) else cell.num.shape[1]


def cell_interval(
    cell, resamples: int = RESAMPLES, confidence: float = CONFIDENCE, seed: int = SEED
) -> Interval:
    """The cell's value and its two-level bootstrap interval (``n`` = prompts x seeds)."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, _prompts(cell), size=(resamples, _prompts(cell)))
    lo, hi = percentile_interval(_resampled(cell, rows, rng), confidence)
    return Interval(cell.value(), lo, hi, cell.n)


def difference_interval(
    a,
    b,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> Interval:
    """``a - b`` on the same N prompts: prompts resampled once for both, seeds separately."""
    if _prompts(a) != _prompts(b):
        raise ValueError(
            f"paired difference needs the same prompts: {_prompts(a)} vs {_prompts(b)}"
        )
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, _prompts(a), size=(resamples, _prompts(a)))
    diffs = _resampled(a, rows, rng) - _resampled(b, rows, rng)
    lo, hi = percentile_interval(diffs, confidence)
    return Interval(a.value() - b.value(), lo, hi, min(a.n, b.n))


def mean_of_cells(cells: list[Cell]) -> Cell:
    """The unweighted mean over metrics of per-prompt masked means, as one cell: each
    prompt's value is the mean of the metrics that apply to it (den 1 where any applies)."""
    ratios = [_ratio(c.num, c.den) for c in cells]
    applies = np.stack([c.den > 0 for c in cells])  # (M, S, N)
    total = np.sum([np.where(m, r, 0.0) for r, m in zip(ratios, applies, strict=True)], axis=0)
    count = applies.sum(axis=0)
    return Cell(_ratio(total, count.astype(np.float64)), (count > 0).astype(np.float64))
