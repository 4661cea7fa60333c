"""Turn the ``dataset`` config group into a run's train and eval examples."""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig

from common.data import bundled_eval_path, load_dataset
from common.data.splits import filter_by_metric, train_eval_split
from common.data.types import Example

log = logging.getLogger(__name__)


def _stratified_cap(examples: list[Example], cap: int | None, seed: int) -> list[Example]:
    """At most ``cap`` rows, spread evenly over metrics, input order kept (0: none)."""
    if cap == 0:
        return []
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
    ``dataset.eval_path`` when set, else from the bundled held-out file of the bundled data
    (:attr:`common.data.DatasetKind.bundled_eval`), else from a held-out split stratified by metric.
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
    if routing == "listed":
        _require_listed(examples, reward_names, name)
        examples = _carrying_a_reward(examples, reward_names, name)
    # Bundled training data that comes with its own held-out file (GSM8K test, the IFEval
    # testbed's held-out prompts) is evaluated on that file, not on a split of the training set.
    eval_path = ds.get("eval_path") or (None if ds.path else bundled_eval_path(ds.kind))
    if ds.get("dev_fraction"):
        # Tuning: a seeded dev split of the training rows is the eval split; the held-out file
        # (and any eval_path) stays unread, so no setting is chosen on it.
        train, evals = train_eval_split(
            examples, eval_fraction=float(ds.dev_fraction), seed=ds.split_seed, dataset=name
        )
        log.info("dataset %s: evaluating on a dev split of %d training rows", name, len(evals))
    elif eval_path:
        train = examples
        evals = _eval_rows(
            load_dataset(ds.kind, eval_path, **options), ds, reward_names, routing, eval_path
        )
    else:
        train, evals = train_eval_split(
            examples, eval_fraction=ds.eval_fraction, seed=ds.split_seed, dataset=name
        )
    train = drop_eval_duplicates(train, evals, name)
    train = _stratified_cap(train, ds.get("max_train"), ds.split_seed)
    evals = _stratified_cap(evals, ds.get("max_eval"), ds.split_seed)
    return train, evals


def drop_eval_duplicates(train: list[Example], evals: list[Example], dataset: str) -> list[Example]:
    """Training rows whose prompt is also an eval prompt, removed from training (the eval
    split stays whole), with a warning giving the counts: a held-out score on prompts the
    policy trained on measures memory, not the method."""
    held_out = {ex.prompt for ex in evals}
    kept = [ex for ex in train if ex.prompt not in held_out]
    dropped = len(train) - len(kept)
    if dropped:
        distinct = len({ex.prompt for ex in train if ex.prompt in held_out})
        log.warning(
            "dataset %s: %d training row(s) repeat %d eval prompt(s) (of %d eval rows); they "
            "were removed from training, %d training rows remain",
            dataset,
            dropped,
            distinct,
            len(evals),
            len(kept),
        )
    return kept


def check_batch_fits(ds: DictConfig, batch_size: int, train: Sequence[Example]) -> None:
    """Refuse a batch larger than the training rows (before the model loads)."""
    if batch_size > len(train):
        raise ValueError(
            f"trainer.batch_size={batch_size} is larger than the {len(train)} training rows of "
            f"dataset {ds.path or 'bundled ' + str(ds.kind) + ' sample'} (after the eval split, "
            f"filtering and dataset.max_train={ds.get('max_train')}); lower trainer.batch_size"
        )


def prompt_token_limit(ds: DictConfig, positions: int | None) -> int | None:
    """The prompt length (tokens) a rollout may use: ``dataset.max_prompt_tokens``, lowered so
    that prompt plus the largest generation budget fit the model's ``positions``.

    Raises:
        ValueError: the largest ``dataset.max_new_tokens`` alone fills the positions.
    """
    configured = ds.get("max_prompt_tokens")
    if positions is None:
        return configured
    budget = max(int(v) for v in ds.max_new_tokens.values())
    room = positions - budget
    if room <= 0:
        raise ValueError(
            f"dataset.max_new_tokens allows {budget} new tokens, but the model has only "
            f"{positions} positions: lower dataset.max_new_tokens"
        )
    return room if configured is None else min(int(configured), room)


def _require_listed(examples: Sequence[Example], reward_names: Sequence[str], name) -> None:
    """Under ``rewards.routing=listed`` every reward must apply to some training row (its
    name listed in a row's ``meta["metrics"]``), or it would never get a reward."""
    listed = {m for ex in examples for m in ex.meta.get("metrics") or []}
    missing = [m for m in reward_names if m not in listed]
    if missing:
        raise ValueError(
            f"dataset {name} has no rows for metric {missing[0]} (rewards.routing=listed: no "
            f"row lists it in meta['metrics']; metrics listed: {', '.join(sorted(listed)) or 'none'})"
        )


def _carrying_a_reward(examples: list[Example], reward_names: Sequence[str], name) -> list[Example]:
    """Under ``rewards.routing=listed``, the rows that list at least one of the run's rewards:
    every reward is masked out of the others, so they would train on a reward of 0 and be
    scored on nothing (a run of one IFEval family keeps the rows carrying that family)."""
    wanted = set(reward_names)
    kept = [ex for ex in examples if wanted & set(ex.meta.get("metrics") or [])]
    if len(kept) < len(examples):
        log.info(
            "dataset %s: %d of %d rows carry one of rewards.names=%s (rewards.routing=listed); "
            "the others are left out",
            name,
            len(kept),
            len(examples),
            list(reward_names),
        )
    return kept


def _eval_rows(
    evals: list[Example],
    ds: DictConfig,
    reward_names: Sequence[str],
    routing: str,
    eval_path: str | Path | None = None,
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
    if routing == "listed":
        evals = [ex for ex in evals if set(reward_names) & set(ex.meta.get("metrics") or [])]
        filters.append(f"rewards.names={list(reward_names)} (listed in meta['metrics'])")
    if not evals:
        raise ValueError(
            f"dataset.eval_path={eval_path or ds.eval_path} has no rows after filtering by "
            f"{' and '.join(filters)} (metrics present: {', '.join(present) or 'none'})"
        )
    return evals


def max_new_tokens_for(ds: DictConfig, example: Example) -> int:
    """The generation budget of an example's task type (``dataset.max_new_tokens``)."""
    budgets = ds.max_new_tokens
    return int(budgets.get(example.task_type, budgets.get("default", 64)))
