"""``trainer.name`` -> the loop class that runs it. Entries are ``"module:Class"``, imported
on first lookup, so a config error never waits on torch or a model. A user's own loop is
named by its dotted path (``trainer.name=my_pkg.loop:MyLoop``) and needs no entry here."""

from __future__ import annotations

from common.core.registry import Registry

TRAINERS: Registry[type] = Registry("trainer", "trainer.name")
for _name, _target in {
    "rollout_eval": "common.training.rollout_eval:RolloutEvalLoop",
    "remax": "drbo.trainer:PolicyGradientLoop",
    "grpo": "drbo.trainer:PolicyGradientLoop",
    "rloo": "drbo.trainer:PolicyGradientLoop",
    "laser_dpo": "laser.trainer:LaserLoop",
    "best_of_n": "laser.best_of_n:BestOfNLoop",
}.items():
    TRAINERS.add_lazy(_name, _target)
