"""Turn the ``dataset`` config group into a run's train and eval examples."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from omegaconf import DictConfig

from common.data import load_dataset
from common.data.splits import filter_by_metric, train_eval_split
from common.data.types import Example


def _stratified_cap(examples: list[Example], cap: int | None, seed: int) -> list[Example]:
    """At most ``cap`` rows, spread evenly over metrics, input order kept."""
    if cap is None or len(examples) <= cap:
        return examples
    by_metric: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_metric.setdefault(ex.metric, []).append(i)
    per_metric = max(1, math.ceil(cap / len(by_metric)))
    rng = random.Random(seed)
    keep: set[int] = set()
    for metric in sorted(by_metric):
        idx = by_metric[metric]
        keep.update(rng.sample(idx, min(per_metric, len(idx))))
    return [ex for i, ex in enumerate(examples) if i in keep]


def load_run_data(
    ds: DictConfig, reward_names: Sequence[str], routing: str
) -> tuple[list[Example], list[Example]]:
    """Train and eval examples for a run.

    Multi-type data (``routing == by_example``) keeps only rows whose metric is one of the
    run's rewards, and refuses a training set missing one of them. Eval comes from
    ``dataset.eval_path`` when set, else from a held-out split stratified by metric.
    """
    options = dict(ds.get("loader_options") or {})
    examples = load_dataset(ds.kind, ds.path, **options)
    name = ds.path or f"bundled {ds.kind} sample"
    if ds.get("task_metric"):
        # One task out of a mixed file (the bundled ALCE sample holds ASQA and ELI5 rows).
        examples = filter_by_metric(
            examples, [ds.task_metric], dataset=name, by="dataset.task_metric"
        )
    if routing == "by_example":
        examples = filter_by_metric(
            examples, reward_names, dataset=name, by="rewards.names (rewards.routing=by_example)"
        )
    if ds.get("eval_path"):
        train = examples
        evals = _eval_rows(
            load_dataset(ds.kind, ds.eval_path, **options), ds, reward_names, routing
        )
    else:
        train, evals = train_eval_split(
            examples, eval_fraction=ds.eval_fraction, seed=ds.split_seed, dataset=name
        )
    train = _stratified_cap(train, ds.get("max_train"), ds.split_seed)
    evals = _stratified_cap(evals, ds.get("max_eval"), ds.split_seed)
    return train, evals


def _eval_rows(
    evals: list[Example], ds: DictConfig, reward_names: Sequence[str], routing: str
) -> list[Example]:
    """The rows of ``dataset.eval_path`` the run can score; none left is an error naming
    the file, the filters applied and what they asked for."""
    present = sorted({ex.metric for ex in evals})
    filters = []
    if ds.get("task_metric"):
        evals = [ex for ex in evals if ex.metric == ds.task_metric]
        filters.append(f"dataset.task_metric={ds.task_metric}")
    if routing == "by_example":
        # A real benchmark file need not hold every training metric: score what it has.
        evals = [ex for ex in evals if ex.metric in set(reward_names)]
        filters.append(f"rewards.names={list(reward_names)}")
    if not evals:
        raise ValueError(
            f"dataset.eval_path={ds.eval_path} has no rows after filtering by "
            f"{' and '.join(filters)} (metrics present: {', '.join(present) or 'none'})"
        )
    return evals


def max_new_tokens_for(ds: DictConfig, example: Example) -> int:
    """The generation budget of an example's task type (``dataset.max_new_tokens``)."""
    budgets = ds.max_new_tokens
    return int(budgets.get(example.task_type, budgets.get("default", 64)))
