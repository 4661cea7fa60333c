"""One policy's greedy predictions on a study's held-out prompts and its per-prompt scores.

The prompts are the evaluation split of the study's experiment with the study-wide
overrides (never a condition's): every condition is scored on the same N prompts with the
same metrics. Predictions are cached beside the policy (``heldout_predictions.jsonl``), so
re-reporting costs no generation.

Per-prompt scores are ``{metric: (num (N,), den (N,))}`` (see
:mod:`experiments.studies.seed_bootstrap`):
- ``ifeval``: IFEval's official accuracies (``prompt_strict``/``prompt_loose``: 1 when every
  instruction of the prompt passes; ``instruction_strict``/``instruction_loose``: passed /
  instructions) and the strict instruction-level accuracy of each constraint family
  (``if_<family>``: that family's passed / its instructions in the prompt, den 0 where the
  prompt has none), checked by ``if-verifiable`` (common/evaluation/ifeval.py).
- ``reward_set``: the experiment's reward set scores each prediction; a metric's den is 1
  where routing lets it score the prompt.
- ``shopbench``: the official ShopBench scores (overall = mean over tasks, each metric as the
  starter kit aggregates it) of a ShopBench-format file — ``eval.data`` when set, else
  ``../shared/data/shopbench_dev.jsonl`` beside the checkout, else the bundled held-out split
  — as ``{score: {"value", "samples" (R,), "rows"}}`` with the evaluator's seeded row
  bootstrap (the same row resamples for every policy, so differences are paired).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from experiments.studies.spec import StudySpec

PREDICTIONS = "heldout_predictions.jsonl"


def study_config(spec: StudySpec, output_dir: Path):
    from experiments.compose import compose_config

    return compose_config(f"+exp={spec.exp}", *spec.overrides, output_dir=output_dir)


def heldout_examples(cfg, spec: StudySpec | None = None, root: Path | None = None) -> list:
    if spec is not None and spec.eval_kind == "shopbench":
        from common.data.shopbench import load_shopbench
        from experiments.reproduce_shopping import heldout_file

        data = spec.eval.get("data")
        path, where = heldout_file(Path(data) if data else None, root, list(spec.overrides))
        print(f"[{spec.name}] held-out file: {where}")
        return load_shopbench(path)
    from common.data.run_data import load_run_data

    _, evals = load_run_data(cfg.dataset, list(cfg.rewards.names), cfg.rewards.routing)
    return evals


def predictions_for(model_spec: str, folder: Path, cfg, examples, eval_opts: dict) -> list[str]:
    """Greedy predictions of ``model_spec`` (a run folder or the base model), cached in
    ``folder``; a cache for another number of prompts is regenerated."""
    cache = folder / PREDICTIONS
    if cache.is_file():
        rows = [json.loads(line)["prediction"] for line in cache.open(encoding="utf-8")]
        if len(rows) == len(examples):
            return rows
    from common.data.run_data import max_new_tokens_for, prompt_token_limit
    from common.evaluation.predictions import generate_predictions
    from common.models.precision import dtype_name
    from common.training.checkpoint_policy import load_policy

    dtype = dtype_name("auto") if cfg.model.get("precision", "auto") == "auto" else "float32"
    model, tok = load_policy(model_spec, dtype=dtype)
    budget = eval_opts.get("max_new_tokens")
    texts = generate_predictions(
        model,
        tok,
        examples,
        (lambda ex: int(budget)) if budget else (lambda ex: max_new_tokens_for(cfg.dataset, ex)),
        batch_size=int(eval_opts.get("batch_size", 16)),
        max_prompt_tokens=prompt_token_limit(cfg.dataset, None),
        desc=f"held-out {folder.name}",
    )
    folder.mkdir(parents=True, exist_ok=True)
    with open(cache, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"prediction": t}, ensure_ascii=False) + "\n")
    return texts


def ifeval_rows(examples, predictions) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """IFEval accuracies and per-family strict accuracy, per prompt (see module doc)."""
    from common.data.ifeval import family_metric
    from common.evaluation.ifeval import check_predictions

    checks = check_predictions(examples, predictions)
    n = len(checks)
    out: dict[str, list[np.ndarray]] = {}
    ones = np.ones(n)
    strict_all = np.array([all(c.strict for c in row) for row in checks], dtype=float)
    loose_all = np.array([all(c.loose for c in row) for row in checks], dtype=float)
    counts = np.array([len(row) for row in checks], dtype=float)
    out["prompt_strict"] = (strict_all, ones)
    out["instruction_strict"] = (
        np.array([sum(c.strict for c in r) for r in checks], float),
        counts,
    )
    out["prompt_loose"] = (loose_all, ones)
    out["instruction_loose"] = (np.array([sum(c.loose for c in r) for r in checks], float), counts)
    fam: dict[str, tuple[np.ndarray, np.ndarray]] = defaultdict(lambda: (np.zeros(n), np.zeros(n)))
    for i, (ex, row) in enumerate(zip(examples, checks, strict=True)):
        registry = ex.gold.get("registry", "ifeval")
        for c in row:
            num, den = fam[family_metric(c.instruction_id, registry)]
            num[i] += c.strict
            den[i] += 1
    out.update(sorted(fam.items()))
    return out


def reward_set_rows(
    cfg, examples, predictions, metrics=None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The experiment's reward-set scores per prompt (only ``metrics`` when given, e.g. the
    goal's exact-match without the judge arms); den is the routing mask."""
    from common.rewards.reward_set import RewardSet

    names = list(metrics) if metrics else list(cfg.rewards.names)
    unknown = sorted(set(names) - set(cfg.rewards.names))
    if unknown:
        raise ValueError(
            f"eval.metrics {unknown}: not rewards of the experiment {list(cfg.rewards.names)}"
        )
    options = {k: v for k, v in (cfg.rewards.get("options") or {}).items() if k in names}
    rs = RewardSet(names, cfg.rewards.routing, options)
    table = rs.score(examples, list(predictions))
    mask = table.mask.astype(float)
    return {
        name: (table.scores[:, j] * mask[:, j], mask[:, j]) for j, name in enumerate(table.names)
    }


_SHOPBENCH_SCORERS: dict[str, Any] = {}  # embedding models load once per study


def shopbench_rows(examples, predictions, resamples: int) -> dict[str, dict[str, Any]]:
    """Official ShopBench overall and per-metric scores with their row-bootstrap samples."""
    from common.rewards.shopbench_eval import score_shopbench

    result = score_shopbench(
        examples, predictions, _SHOPBENCH_SCORERS, resamples=resamples, seed=0, keep_samples=True
    )
    rows = result["rows"]
    out = {
        "overall": {
            "value": result["overall"],
            "samples": result["samples"]["overall"],
            "rows": sum(rows["per_task"].values()),
        }
    }
    for metric, value in result["per_metric"].items():
        out[metric] = {
            "value": value,
            "samples": result["samples"]["per_metric"][metric],
            "rows": rows["per_metric"][metric],
        }
    return out


def score_rows(spec: StudySpec, cfg, examples, predictions, resamples: int = 1000) -> dict:
    if spec.eval_kind == "ifeval":
        return ifeval_rows(examples, predictions)
    if spec.eval_kind == "shopbench":
        return shopbench_rows(examples, predictions, resamples)
    return reward_set_rows(cfg, examples, predictions, spec.eval.get("metrics"))
