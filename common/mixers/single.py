"""Single-metric baseline (the paper's "NER only" ablation)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common.mixers.base import MIXERS, MixDecision, RewardMixer


@MIXERS.register("single")
class SingleMetricBalancer(RewardMixer):
    """One-hot weight on ``metric`` at every step; the other metrics are still scored/logged.

    Args:
        names: reward names (N).
        metric: the one metric to optimize; None = the first of ``names``.
    """

    def __init__(self, names: Sequence[str], metric: str | None = None) -> None:
        super().__init__(names)
        metric = self.names[0] if metric is None else metric
        if metric not in self.names:
            raise ValueError(f"metric {metric!r} is not one of the reward names {self.names}")
        self.metric = metric
        self.arm = self.names.index(metric)

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        return MixDecision(weights=self.one_hot(self.n, self.arm), arm=self.arm)
