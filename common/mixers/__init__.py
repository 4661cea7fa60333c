"""Reward mixing: the mixer interface, every balancer and bandit, the MAB reward, the bandit
context, and the one reward step every trainer calls.

A *mixer* answers, each step, how much each reward source (a metric or a reward model)
counts: DRBO's balancers (``average``, ``inverse``, ``delta``, ``static``, ``simple_inverse``,
``sequential``, ``single``) return weights, LASeR's bandits (``linucb``, ``exp3``,
``random``) pick one source. The Hydra group that selects one is ``balancer``.

- :mod:`common.mixers.base`: :class:`RewardMixer`, :class:`MixDecision`, :class:`Feedback`,
  the registry :data:`MIXERS` (its first lookup imports every module of this package, so
  a new mixer is one module; a user's mixer is named by its dotted path) and :func:`mix_rewards`;
- :mod:`common.mixers.step`: :class:`RewardStep`, decide -> score the chosen sources -> mix
  -> feedback -> log, identical on every rank;
- :mod:`common.mixers.decision`: what a step hands its trainer (``StepDecision``,
  ``StepRewards``) and ``rows_per_source``, the weights' rule for multi-type batches;
- :mod:`common.mixers.context`: the bandit context from the policy;
- :mod:`common.mixers.mab_reward`: LASeR's quantile-scaled MAB reward.
"""

from common.mixers.base import (
    MIXERS,
    Feedback,
    MixDecision,
    RewardMixer,
    build_mixer,
    build_run_mixer,
    mix_rewards,
)

__all__ = [
    "MIXERS",
    "Feedback",
    "MixDecision",
    "RewardMixer",
    "build_mixer",
    "build_run_mixer",
    "mix_rewards",
]
