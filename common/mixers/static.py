"""Fixed weights: ALaRM-style presets (e.g. ner_f1 : others = 3 : 1) and LASeR's offline
ensemble of reward models (uniform)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from common.mixers.base import MIXERS, MixDecision, RewardMixer
from common.mixers.preset import preset_weights


@MIXERS.register("static")
class StaticBalancer(RewardMixer):
    """``w = W / sum(W)`` at every step; no metric is sampled, nothing is learned.

    Unlike ``average`` it runs none of Algorithm 1's machinery (no sampled metric, no state).

    Args:
        names: reward names (N).
        weights: mapping name -> float over exactly ``names``; None = uniform.
    """

    def __init__(self, names: Sequence[str], weights: Mapping[str, float] | None = None) -> None:
        super().__init__(names)
        self.weights = preset_weights(self.names, weights)

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        return MixDecision(weights=self.weights.copy(), arm=None)


@MIXERS.register("ensemble")
class Ensemble(StaticBalancer):
    """LASeR's offline RM-ensemble baseline: every reward model scores every sample and the
    reward is the mean of their scores, ``R_i = sum_k s_ik / K`` (uniform ``weights``, or a
    preset). No arm is picked, so none is logged."""
