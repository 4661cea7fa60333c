"""Sequential-optimization baseline: train on one metric after another."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common.mixing import MixDecision, RewardMixer, register_mixer


@register_mixer("sequential")
class SequentialBalancer(RewardMixer):
    """One-hot weights on ``order[k]`` with ``k = (t - 1) // steps_per_metric``.

    After the last metric of ``order``: with ``cycle`` (default) start again at the first,
    otherwise stay on the last. The result depends only on the step, so there is no state.

    Args:
        names: reward names (N).
        steps_per_metric: steps spent on each metric before switching (> 0).
        order: names in the order to optimize them (a subset is allowed); None = ``names``.
        cycle: wrap around after the last metric.
    """

    def __init__(
        self,
        names: Sequence[str],
        steps_per_metric: int = 100,
        order: Sequence[str] | None = None,
        cycle: bool = True,
    ) -> None:
        super().__init__(names)
        if int(steps_per_metric) != steps_per_metric or steps_per_metric <= 0:
            raise ValueError(
                f"steps_per_metric must be a positive integer, got {steps_per_metric!r}"
            )
        order = list(self.names if order is None else order)
        unknown = [m for m in order if m not in self.names]
        if unknown or not order:
            raise ValueError(f"order must be non-empty names from {self.names}; unknown: {unknown}")
        self.steps_per_metric = int(steps_per_metric)
        self.order = [self.names.index(m) for m in order]
        self.cycle = bool(cycle)

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        k = (max(step, 1) - 1) // self.steps_per_metric
        k = k % len(self.order) if self.cycle else min(k, len(self.order) - 1)
        arm = self.order[k]
        return MixDecision(weights=self.one_hot(self.n, arm), arm=arm)
