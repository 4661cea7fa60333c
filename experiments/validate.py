"""Config checks that run before any model loads, so a bad value costs seconds, not a queue slot.

Every error names the config key and, where there is a closed set, the allowed values.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf


class ConfigError(ValueError):
    """A config value is invalid; the message names the key."""


def deepspeed_zero_keys() -> set[str]:
    """The keys DeepSpeed accepts under ``zero_optimization`` (it forbids any other), less
    ``stage``, which ``engine.stage`` sets."""
    import os

    import torch

    if not torch.cuda.is_available():
        os.environ.setdefault("DS_ACCELERATOR", "cpu")  # as common.engine.init_distributed
    from deepspeed.runtime.zero.config import DeepSpeedZeroConfig

    fields = DeepSpeedZeroConfig.model_fields.items()
    return {f.alias or name for name, f in fields} - {"stage"}


def _positive(cfg: DictConfig, key: str, strict: bool = True) -> None:
    node, _, leaf = key.rpartition(".")
    parent = OmegaConf.select(cfg, node) if node else cfg
    if parent is None or leaf not in parent or parent[leaf] is None:
        return
    v = parent[leaf]
    if not isinstance(v, (int, float)) or (v <= 0 if strict else v < 0):
        raise ConfigError(f"{key}={v!r} must be {'> 0' if strict else '>= 0'}")


def validate_config(cfg: DictConfig) -> None:
    """Raise ConfigError on the first invalid value found."""
    import common.rewards  # noqa: F401 - registers the scorers (models load lazily)
    from common.mixers import available_mixers
    from common.mixers.step import GRANULARITIES
    from common.rewards.registry import available_scorers

    names = list(cfg.rewards.names)
    if not names:
        raise ConfigError("rewards.names is empty; list at least one metric")
    options = cfg.rewards.get("options") or {}
    extra = sorted(set(options) - set(names))
    if extra:
        raise ConfigError(f"rewards.options has keys {extra} that are not in rewards.names")
    # an alias names its scorer in rewards.options.<name>.scorer
    resolved = {n: (options.get(n) or {}).get("scorer", n) for n in names}
    unknown = [n for n, s in resolved.items() if s not in available_scorers()]
    if unknown:
        raise ConfigError(
            f"rewards.names has unknown metric(s) {unknown} (set rewards.options.<name>.scorer "
            f"for an alias); allowed values: {', '.join(available_scorers())}"
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"rewards.names has duplicates: {names}")

    bal = cfg.get("balancer")
    if bal is not None:
        if bal.name not in available_mixers():
            raise ConfigError(
                f"balancer.name={bal.name!r}; allowed values: {', '.join(available_mixers())}"
            )
        weights = bal.get("weights")
        if weights is not None:
            extra = sorted(set(weights) - set(names))
            missing = sorted(set(names) - set(weights))
            if extra or missing:
                raise ConfigError(
                    f"balancer.weights keys must match rewards.names: extra {extra}, "
                    f"missing {missing}"
                )
            if any(float(v) < 0 for v in weights.values()):
                raise ConfigError(f"balancer.weights must be >= 0, got {dict(weights)}")
        metric = bal.get("metric")
        if metric is not None and metric not in names:
            raise ConfigError(f"balancer.metric={metric!r}; allowed values: {', '.join(names)}")
        granularity = bal.get("granularity") or "batch"
        if granularity not in GRANULARITIES:
            raise ConfigError(
                f"balancer.granularity={granularity!r}; allowed values: {', '.join(GRANULARITIES)}"
            )
        _positive(cfg, "balancer.every")
        _positive(cfg, "balancer.temperature")

    tr = cfg.trainer
    for key in ("lr", "steps", "batch_size", "eval_batch_size", "temperature", "n_samples"):
        _positive(cfg, f"trainer.{key}")
    for key in ("kl_coef", "warmup_steps"):
        _positive(cfg, f"trainer.{key}", strict=False)
    k = tr.get("standardize_k")
    if k is not None and k < tr.batch_size:
        # K samples estimate each metric's mean/std; fewer than one batch is too few to trust
        raise ConfigError(
            f"trainer.standardize_k={k} is smaller than trainer.batch_size={tr.batch_size}; "
            f"it must be >= {tr.batch_size}"
        )

    ds = cfg.dataset
    for key in ("path", "eval_path"):
        p = ds.get(key)
        if p is not None and not Path(p).exists():
            raise ConfigError(f"dataset.{key}={p!r}: no such file or folder")
    if not 0 < ds.get("eval_fraction", 0.3) < 1:
        raise ConfigError(f"dataset.eval_fraction={ds.eval_fraction} must be in (0, 1)")

    if cfg.engine.stage not in (0, 1, 2, 3):
        raise ConfigError(f"engine.stage={cfg.engine.stage}; allowed values: 0, 1, 2, 3")

    zero = cfg.engine.get("zero") or {}
    allowed = deepspeed_zero_keys() if zero else set()
    for key in zero:
        if key not in allowed:
            raise ConfigError(
                f"engine.zero.{key}: not a DeepSpeed zero_optimization key; allowed values: "
                + ", ".join(sorted(allowed))
            )

    from common.preemption import signal_number

    for name in cfg.get("stop_signals") or []:
        try:
            signal_number(str(name))
        except ValueError as err:
            raise ConfigError(str(err)) from None
