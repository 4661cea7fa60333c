"""Official ShopBench aggregation: per-task, per-metric and overall scores of predictions.

A task's score is the mean over its rows (micro-F1 over summed counts for NER); the overall
score is the mean over tasks. A metric's score is the mean over the tasks that use it. A task
mixing metrics (task17: bleu and jp-bleu rows) scores each metric's rows on their own and
weighs the parts by row count, which is the plain row mean for mean-aggregated metrics.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import MutableMapping, Sequence
from typing import Any

import numpy as np

from common.data.types import Example
from common.evaluation.stats import RESAMPLES, SEED, interval_from, method_record, resample_groups
from common.rewards.base import RewardOutput, Scorer
from common.rewards.registry import build_scorer

# Reported ShopBench numbers use the official evaluator's precision: embedding metrics in
# fp32 even where training rewards run them in bf16 (within 0.01, embedding_sim.py), so a
# gold answer scores its cosine of 1 and the figures equal the official ones.
OFFICIAL_OPTIONS: dict[str, dict[str, str]] = {
    "sent_sim": {"dtype": "float32"},
    "multilingual_sim": {"dtype": "float32"},
}


def score_shopbench(
    examples: Sequence[Example],
    predictions: Sequence[str | None],
    scorers: MutableMapping[str, Scorer] | None = None,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    keep_samples: bool = False,
) -> dict[str, Any]:
    """Score ``predictions[i]`` against ``examples[i]`` with each example's metric.

    Args:
        examples: B examples (``metric`` is a scorer registry name, ``task_name`` groups rows).
        predictions: B raw model outputs; None or "" score 0.
        scorers: metric name -> scorer to reuse (e.g. an embedding model already loaded);
            missing ones are built with default options and added to it.
        resamples, seed: the bootstrap behind ``ci`` (:mod:`common.evaluation.stats`); 0 resamples
            leaves ``ci`` out.
        keep_samples: also return each score's bootstrap samples under ``samples``
            (``{"overall": (R,), "per_metric": {metric: (R,)}}``). The row resamples depend
            only on the examples and ``seed``, so samples of two prediction sets for the same
            file are paired row by row (a study's differences rely on that).

    Returns:
        ``{"per_task": {task: score}, "per_metric": {metric: score}, "overall": score,
        "rows": {"per_task": {task: n}, "per_metric": {metric: n},
        "parse_failed": {metric: n}}, "ci": {"per_task": {task: {value, lo, hi, n}},
        "per_metric": {...}, "overall": {...}, "method": {...}}}``, scores on a 0-1 scale,
        tasks in natural order (task2 before task10). The 95 % intervals come from a
        bootstrap that resamples each (task, metric) group's rows on its own and recomputes
        every score (micro-F1 from resampled counts, the overall mean over tasks) per resample.
    """
    if len(examples) != len(predictions):
        raise ValueError(
            f"{len(predictions)} predictions for {len(examples)} examples; need one each"
        )
    scorers = {} if scorers is None else scorers
    rows_of_metric: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        rows_of_metric[ex.metric].append(i)

    # (task, metric) -> (score, rows); one batched scorer call per metric.
    groups: dict[tuple[str, str], tuple[float, int]] = {}
    rows_of_group: dict[tuple[str, str], tuple[RewardOutput, str]] = {}
    parse_failed: dict[str, int] = {}
    for metric, rows in rows_of_metric.items():
        if metric not in scorers:
            scorers[metric] = build_scorer(metric, **OFFICIAL_OPTIONS.get(metric, {}))
        scorer = scorers[metric]
        output = scorer(
            [examples[i].prompt for i in rows],
            [predictions[i] for i in rows],
            [examples[i].gold for i in rows],
        )
        parse_failed[metric] = int(output.parse_failed.sum())
        positions_of_task: dict[str, list[int]] = defaultdict(list)
        for pos, i in enumerate(rows):
            positions_of_task[examples[i].task_name].append(pos)
        for task, positions in positions_of_task.items():
            part = _subset(output, np.asarray(positions))
            groups[(task, metric)] = (scorer.aggregate(part), len(positions))
            rows_of_group[(task, metric)] = (part, scorer.aggregation)

    per_task: dict[str, float] = {}
    task_rows: dict[str, int] = {}
    for task in sorted({t for t, _ in groups}, key=_natural_key):
        parts = [v for (t, _), v in groups.items() if t == task]
        task_rows[task] = sum(n for _, n in parts)
        per_task[task] = float(sum(s * n for s, n in parts) / task_rows[task])
    per_metric = {
        metric: float(np.mean([s for (_, m), (s, _) in groups.items() if m == metric]))
        for metric in sorted(rows_of_metric)
    }
    overall = float(np.mean(list(per_task.values()))) if per_task else 0.0
    result = {
        "per_task": per_task,
        "per_metric": per_metric,
        "overall": overall,
        "rows": {
            "per_task": task_rows,
            "per_metric": {m: len(r) for m, r in sorted(rows_of_metric.items())},
            "parse_failed": dict(sorted(parse_failed.items())),
        },
    }
    if resamples > 0 and per_task:
        samples: dict[str, Any] = {}
        result["ci"] = _intervals(result, groups, rows_of_group, resamples, seed, samples)
        if keep_samples:
            result["samples"] = samples
    return result


def _intervals(
    result: dict[str, Any],
    groups: dict[tuple[str, str], tuple[float, int]],
    rows_of_group: dict[tuple[str, str], tuple[RewardOutput, str]],
    resamples: int,
    seed: int,
    samples_out: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Bootstrap intervals of every reported score, each recomputed per resample exactly as
    the point value: a task = its groups weighted by rows, a metric = the mean over its
    groups, overall = the mean over tasks. ``samples_out`` receives the overall and
    per-metric samples, shape (R,) each."""
    samples = resample_groups(rows_of_group, resamples, seed)
    task_samples = {}
    for task in result["per_task"]:
        ids = [g for g in groups if g[0] == task]
        n = sum(groups[g][1] for g in ids)
        task_samples[task] = sum(samples[g] * groups[g][1] for g in ids) / n
    metric_samples = {
        m: np.mean([samples[g] for g in groups if g[1] == m], axis=0) for m in result["per_metric"]
    }
    rows = result["rows"]
    overall_samples = np.mean(list(task_samples.values()), axis=0)
    if samples_out is not None:
        samples_out.update(overall=overall_samples, per_metric=metric_samples)
    return {
        "per_task": {
            t: interval_from(v, task_samples[t], rows["per_task"][t]).to_dict()
            for t, v in result["per_task"].items()
        },
        "per_metric": {
            m: interval_from(v, metric_samples[m], rows["per_metric"][m]).to_dict()
            for m, v in result["per_metric"].items()
        },
        "overall": interval_from(
            result["overall"], overall_samples, sum(rows["per_task"].values())
        ).to_dict(),
        "method": method_record(resamples, seed=seed),
    }


def _subset(output: RewardOutput, positions: np.ndarray) -> RewardOutput:
    return RewardOutput(
        output.name,
        output.scores[positions],
        output.parse_failed[positions],
        {k: v[positions] for k, v in output.counts.items()},
    )


def _natural_key(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]
