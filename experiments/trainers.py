"""``trainer.name`` -> the loop class that runs it. Imported lazily so a config error never
waits on torch or a model."""

from __future__ import annotations

import importlib

TRAINERS: dict[str, str] = {
    "rollout_eval": "common.training.rollout_eval:RolloutEvalLoop",
    "remax": "drbo.trainer:PolicyGradientLoop",
    "grpo": "drbo.trainer:PolicyGradientLoop",
    "rloo": "drbo.trainer:PolicyGradientLoop",
    "laser_dpo": "laser.trainer:LaserLoop",
    "best_of_n": "laser.best_of_n:BestOfNLoop",
}


def trainer_class(name: str):
    if name not in TRAINERS:
        raise KeyError(f"trainer.name={name!r}; allowed values: {', '.join(sorted(TRAINERS))}")
    module, _, attr = TRAINERS[name].partition(":")
    return getattr(importlib.import_module(module), attr)
