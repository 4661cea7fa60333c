"""The ``balancer`` config group's schema: the keys the reward step reads
(:class:`common.mixers.step.RewardStep`), with type, default and a one-line help, stated once.

``conf/balancer/*.yaml`` are presets of it (each lists ``schema`` first in its ``defaults``;
experiments.schema registers it in Hydra's ConfigStore). The mixer's own options (``every``,
``ucb_c``, ``alpha`` ...) differ per mixer and a user's mixer named by dotted path brings its
own (``+balancer.share=0.75``), so the schema is open to further keys: their types and
defaults are the mixer constructor's signature, checked when experiments.validate builds the
mixer (an unknown option is refused there with the constructor's parameters). A closed union
schema would refuse a user's option, and per-mixer dataclasses would refuse the
``~balancer.every`` that studies use to drop a preset's key.
"""

# ruff: noqa: UP006, UP035  (typing.Dict: the form OmegaConf 2.3 types by)
from __future__ import annotations

import warnings
from dataclasses import dataclass, fields
from typing import Any, Dict

from common.core.schema_field import schema_field as _help

# OmegaConf 2.3 types an open structured config by subclassing Dict and warns that the form is
# deprecated (omry/omegaconf#663) while offering no other: the warning says nothing a user can act on.
warnings.filterwarnings("ignore", message="Class `BalancerConfig` subclasses `Dict`")


@dataclass
class BalancerConfig(Dict[str, Any]):
    name: str = _help("registered mixer (common.mixers.MIXERS) or pkg.module:Class")
    granularity: str = _help(
        "batch: one weight vector (or arm) a step | query: one per prompt", "batch"
    )
    normalize: str = _help(
        "none | gdpo: each reward standardized within its prompt group first", "none"
    )
    conditions: Dict[str, Any] = _help(
        "GDPO Eq. 8: {reward: {gate: other_reward, threshold: t}}; the reward counts only on "
        "samples whose gate reward is >= t",
        default_factory=dict,
    )
    statistic: str = _help(
        "what balancers learn from: scaled (standardized, the paper) | raw (0-1 scores)",
        "scaled",
    )


# Keys of the ``balancer`` group read by the reward step, never passed to the mixer.
STEP_KEYS = tuple(f.name for f in fields(BalancerConfig))


def reward_step_options(balancer_cfg) -> dict[str, Any]:
    """The reward step's keyword options from a composed ``balancer`` node:
    ``{"granularity", "normalize", "conditions", "statistic"}``."""
    return {k: balancer_cfg[k] for k in STEP_KEYS if k != "name"}
