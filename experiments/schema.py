"""Register the config groups' schemas in Hydra's ConfigStore, before any composition:
``conf/trainer/*.yaml`` list ``schema`` first in their ``defaults``, so Hydra types and
checks their keys against :class:`common.training.config.TrainerConfig`; ``conf/balancer/*.yaml``
likewise against :class:`common.mixers.config.BalancerConfig` (the reward step's keys; the
mixer's own options stay open, checked by its constructor). Imported by
the experiments package, so every entry point (experiments.run, experiments.compose, a
test composing conf/ directly) composes with it."""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from common.mixers.config import BalancerConfig
from common.training.config import TrainerConfig

SCHEMAS = {"trainer": TrainerConfig, "balancer": BalancerConfig}


def register() -> None:
    store = ConfigStore.instance()
    for group, node in SCHEMAS.items():
        store.store(group=group, name="schema", node=node)


register()
