"""Sequential-optimization baseline: train on one metric after another."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from common.mixers.base import MIXERS, MixDecision, RewardMixer


@MIXERS.register("sequential")
class SequentialBalancer(RewardMixer):
    """One-hot weights on ``order[k]`` with ``k = (t - 1) // steps_per_metric``.

    After the last metric of ``order``: with ``cycle`` (default) start again at the first,
    otherwise stay on the last. The result depends only on the step, so there is no state.

    The period defaults to the run length shared out: ``steps_per_metric = ceil(total_steps
    / K)`` for K metrics in ``order``, so a run visits every metric once, in one block each
    (the YAML passes ``total_steps: ${trainer.steps}``). A fixed period longer than the run
    would never leave the first metric.

    Args:
        names: reward names (N).
        steps_per_metric: steps spent on each metric before switching (> 0); None = the
            default above.
        order: names in the order to optimize them (a subset is allowed); None = ``names``.
        cycle: wrap around after the last metric.
        total_steps: the run's optimizer steps; needed when ``steps_per_metric`` is None.
    """

    def __init__(
        self,
        names: Sequence[str],
        steps_per_metric: int | None = None,
        order: Sequence[str] | None = None,
        cycle: bool = True,
        total_steps: int | None = None,
    ) -> None:
        super().__init__(names)
        order = list(self.names if order is None else order)
        unknown = [m for m in order if m not in self.names]
        if unknown or not order:
            raise ValueError(f"order must be non-empty names from {self.names}; unknown: {unknown}")
        if steps_per_metric is None:
            if total_steps is None or int(total_steps) != total_steps or total_steps <= 0:
                raise ValueError(
                    "steps_per_metric=None needs total_steps (a positive integer, the run's "
                    f"trainer.steps), got {total_steps!r}"
                )
            steps_per_metric = math.ceil(int(total_steps) / len(order))
        if int(steps_per_metric) != steps_per_metric or steps_per_metric <= 0:
            raise ValueError(
                f"steps_per_metric must be a positive integer, got {steps_per_metric!r}"
            )
        self.steps_per_metric = int(steps_per_metric)
        self.order = [self.names.index(m) for m in order]
        self.cycle = bool(cycle)

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        k = (max(step, 1) - 1) // self.steps_per_metric
        k = k % len(self.order) if self.cycle else min(k, len(self.order) - 1)
        arm = self.order[k]
        return MixDecision(weights=self.one_hot(self.n, arm), arm=arm)
