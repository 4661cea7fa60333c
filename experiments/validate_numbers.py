"""Range checks of the config's numbers, before any model loads: each names the key and the
interval or the allowed values (:func:`check_trainer_numbers`; the cross-field rules live in
:mod:`experiments.validate`)."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf


class ConfigError(ValueError):
    """A config value is invalid; the message names the key."""


def check_integer(cfg: DictConfig, key: str, minimum: int) -> None:
    """``key`` (when set) is an int (not a bool or a float) and at least ``minimum``."""
    v = OmegaConf.select(cfg, key, default=None)
    if v is None:
        return
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        bound = "> 0" if minimum == 1 else f">= {minimum}"
        raise ConfigError(f"{key}={v!r} must be an integer {bound}")


def check_positive(cfg: DictConfig, key: str, strict: bool = True) -> None:
    node, _, leaf = key.rpartition(".")
    parent = OmegaConf.select(cfg, node) if node else cfg
    if parent is None or leaf not in parent or parent[leaf] is None:
        return
    v = parent[leaf]
    if not isinstance(v, (int, float)) or (v <= 0 if strict else v < 0):
        raise ConfigError(f"{key}={v!r} must be {'> 0' if strict else '>= 0'}")


def check_in_range(cfg: DictConfig, key: str, low: float, high: float, closed: str = "(]") -> None:
    """``key`` (when set) is a number in the interval ``low``..``high``; ``closed`` says which
    ends belong to it in interval notation (``(]``: low < v <= high)."""
    v = OmegaConf.select(cfg, key, default=None)
    if v is None:
        return
    number = isinstance(v, (int, float)) and not isinstance(v, bool)
    above = number and (v >= low if closed[0] == "[" else v > low)
    below = number and (v <= high if closed[1] == "]" else v < high)
    if not (above and below):
        raise ConfigError(f"{key}={v!r} must be in {closed[0]}{low}, {high}{closed[1]}")


def check_one_of(cfg: DictConfig, key: str, allowed: tuple[str, ...]) -> None:
    v = OmegaConf.select(cfg, key, default=None)
    if v is not None and v not in allowed:
        raise ConfigError(f"{key}={v!r}; allowed values: {', '.join(allowed)}")


def check_trainer_numbers(cfg: DictConfig) -> None:
    """The ranges of the trainer's numbers that its schema (common/training/config.py) types
    but cannot bound, before the model loads: counts >= 1, ``lr`` and ``temperature`` > 0,
    nucleus ``top_p`` in (0, 1] (0 keeps no token; > 1 is not a probability), Adam's betas in
    [0, 1), LASeR's loss, pairs and context, the engine's accumulation and clipping, LoRA's
    shape. (The GRPO clips are checked with the estimator in :mod:`experiments.validate`.)"""
    for key in ("steps", "batch_size", "eval_batch_size", "n_samples", "standardize_k",
                "steps_per_iteration", "keep_checkpoints"):  # fmt: skip
        check_integer(cfg, f"trainer.{key}", 1)
    for key in ("save_every", "warmup_steps"):
        check_integer(cfg, f"trainer.{key}", 0)
    for key in ("lr", "temperature", "standardize_eps", "standardize_clip"):  # clip null: none
        check_positive(cfg, f"trainer.{key}")
    check_positive(cfg, "trainer.kl_coef", strict=False)
    from drbo.standardize import FLAT_RULES

    check_one_of(cfg, "trainer.standardize_flat", tuple(FLAT_RULES))
    check_in_range(cfg, "trainer.top_p", 0, 1, "(]")
    check_in_range(cfg, "trainer.gamma", 0, 1, "[]")
    check_positive(cfg, "trainer.weight_decay", strict=False)
    for key in ("adv_clip", "adv_eps", "beta"):
        check_positive(cfg, f"trainer.{key}")
    check_positive(cfg, "trainer.nll_alpha", strict=False)
    betas = OmegaConf.select(cfg, "trainer.betas", default=None)
    if betas is not None:
        ok = len(betas) == 2 and all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in betas
        )
        if not ok:
            raise ConfigError(f"trainer.betas={list(betas)} must be two numbers in [0, 1)")
    for key in ("pairs_per_prompt", "standardize_batch_size", "updates_per_rollout"):
        check_integer(cfg, f"trainer.{key}", 1)
    from laser.pairs import STRATEGIES

    check_one_of(cfg, "trainer.pair_strategy", STRATEGIES)
    tr = cfg.trainer
    if tr.name in ("laser_dpo", "best_of_n"):
        from common.mixers.context import CONTEXT_KINDS

        check_one_of(cfg, "trainer.context", CONTEXT_KINDS)
    if tr.name == "laser_dpo":
        from laser.trainer import LOSSES  # refused here, not after the model loads

        check_one_of(cfg, "trainer.loss", LOSSES)
    check_integer(cfg, "dataset.split_seed", 0)
    check_integer(cfg, "engine.grad_accum", 1)
    check_positive(cfg, "engine.grad_clip", strict=False)  # 0 or null: no clipping
    if OmegaConf.select(cfg, "model.lora.enabled", default=False):
        check_integer(cfg, "model.lora.r", 1)
        check_positive(cfg, "model.lora.alpha")
        check_in_range(cfg, "model.lora.dropout", 0, 1, "[)")


def check_dataset_numbers(cfg: DictConfig) -> None:
    """The dataset's files exist, its fractions lie in (0, 1), its counts and token budgets
    are integers in range (the dataset group has no schema: its keys differ per loader)."""
    from pathlib import Path

    ds = cfg.dataset
    for key in ("path", "eval_path"):
        p = ds.get(key)
        if p is not None and not Path(p).exists():
            raise ConfigError(f"dataset.{key}={p!r}: no such file or folder")
    check_in_range(cfg, "dataset.eval_fraction", 0, 1, "()")
    check_in_range(cfg, "dataset.dev_fraction", 0, 1, "()")
    check_integer(cfg, "dataset.max_train", 1)
    check_integer(cfg, "dataset.max_eval", 0)  # 0: no held-out evaluation
    check_integer(cfg, "dataset.max_prompt_tokens", 1)
    for task, budget in (ds.get("max_new_tokens") or {}).items():
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
            raise ConfigError(f"dataset.max_new_tokens.{task}={budget!r} must be an integer > 0")
