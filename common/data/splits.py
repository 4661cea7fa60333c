"""Deterministic train/eval splits stratified by metric, and metric filtering.

Stratifying by metric guarantees every criterion a run optimizes shows up in both splits:
a random split of a small file can leave, say, NDCG without eval rows, and its "after"
score would then silently be missing from the summary.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from common.data.types import Example


def filter_by_metric(
    examples: Sequence[Example],
    metrics: Iterable[str],
    dataset: str = "dataset",
    by: str = "metric",
) -> list[Example]:
    """Keep the rows whose metric is in ``metrics`` (original order).

    Args:
        by: the filter's name for the error message, e.g. the config key it comes from
            (``rewards.names``, ``dataset.task_metric``).

    Raises:
        ValueError: a requested metric has no row ("dataset X has no rows for metric Y after
            filtering by Z"), which would otherwise surface later as an empty reward column.
    """
    wanted = list(dict.fromkeys(metrics))
    kept = [ex for ex in examples if ex.metric in wanted]
    present = {ex.metric for ex in kept}
    for metric in wanted:
        if metric not in present:
            raise ValueError(
                f"dataset {dataset} has no rows for metric {metric} after filtering by {by} "
                f"(metrics present: {', '.join(sorted({ex.metric for ex in examples})) or 'none'})"
            )
    return kept


def train_eval_split(
    examples: Sequence[Example],
    eval_fraction: float = 0.2,
    seed: int = 0,
    max_eval_per_metric: int | None = None,
    dataset: str = "dataset",
) -> tuple[list[Example], list[Example]]:
    """Split each metric's rows into train and eval, deterministically in ``seed``.

    Each metric gets ``round(n * eval_fraction)`` eval rows, at least 1 and at most
    ``n - 1`` (then capped by ``max_eval_per_metric``), so both splits hold every metric.
    Both returned lists keep the input order.

    Raises:
        ValueError: ``eval_fraction`` outside (0, 1), or a metric with fewer than 2 rows
            (one split would end up empty for it).
    """
    if not 0.0 < eval_fraction < 1.0:
        raise ValueError(f"eval_fraction must be in (0, 1), got {eval_fraction}")
    if max_eval_per_metric is not None and max_eval_per_metric < 1:
        raise ValueError(f"max_eval_per_metric must be >= 1, got {max_eval_per_metric}")
    if not examples:
        raise ValueError(f"dataset {dataset} has no rows to split")
    by_metric: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_metric.setdefault(ex.metric, []).append(i)
    rng = random.Random(seed)
    eval_idx: set[int] = set()
    # sorted metric order: the RNG stream must not depend on which metric appears first
    for metric in sorted(by_metric):
        idx = by_metric[metric]
        if len(idx) < 2:
            raise ValueError(
                f"dataset {dataset} has no rows for metric {metric} in one split after "
                f"filtering: it has {len(idx)} row, a train/eval split needs at least 2"
            )
        n_eval = min(max(1, round(len(idx) * eval_fraction)), len(idx) - 1)
        if max_eval_per_metric is not None:
            n_eval = min(n_eval, max_eval_per_metric)
        eval_idx.update(rng.sample(idx, n_eval))
    train = [ex for i, ex in enumerate(examples) if i not in eval_idx]
    evals = [ex for i, ex in enumerate(examples) if i in eval_idx]
    return train, evals
