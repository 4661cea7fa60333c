"""The one place that knows which packages register plugins (scorers, balancers, bandits).

Registries fill when their modules are imported; config validation and the training loops
call :func:`load_builtin_plugins` so every name in ``conf/`` resolves whichever entry point
started the process.
"""

from __future__ import annotations

import importlib
from typing import Any

from omegaconf import DictConfig

PLUGIN_MODULES = ("common.rewards", "drbo.balancers", "laser.bandits")


def load_builtin_plugins() -> None:
    for module in PLUGIN_MODULES:
        importlib.import_module(module)


def build_run_mixer(cfg: DictConfig, source_names: list[str]):
    """The ``balancer`` group's mixer over ``source_names`` (balancers and bandits alike)."""
    from common.mixing import build_mixer

    load_builtin_plugins()
    options: dict[str, Any] = {k: v for k, v in cfg.balancer.items() if k != "name"}
    return build_mixer(cfg.balancer.name, source_names, **options)
