"""DRBO's ``inverse`` mode: the metric lagging furthest behind gets the most weight."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from common.mixers.base import MIXERS
from common.mixers.dynamic import DynamicBalancer


@MIXERS.register("inverse")
class InverseBalancer(DynamicBalancer):
    """At a recompute at step t (see :class:`DynamicBalancer`)::

        x_j   = running mean scaled reward_j + 1
        x̂_j  = max(x_j + ucb_c * sqrt(2 ln t / count_j), floor)
        w_j   = (W_j / x̂_j) / sum_k (W_k / x̂_k)

    The ``+ 1`` makes x positive while a metric is no worse than one standard deviation
    below the untrained policy (scaled rewards start at mean 0). Below that x̂ would be 0 or
    negative and the weight infinite or negative, so x̂ is floored at ``floor`` (default 0.01):
    such a metric gets the largest finite weight, which is the formula's intent.

    With ``balancer.statistic=raw`` (:mod:`common.mixers.step`) the running mean is of the
    raw 0-1 scores: x_j lies in [1, 2], so the absolutely weakest metric gets the most weight
    (at most twice another's, before W and the bonus) instead of the one furthest below its
    own start.

    Note the UCB bonus here *lowers* the weight of a rarely sampled metric (it enlarges the
    denominator), exactly as the paper's x̂ substitution reads.

    Args:
        floor: lower bound on x̂ (> 0). Other arguments: :class:`DynamicBalancer`.
    """

    def __init__(
        self,
        names: Sequence[str],
        weights: Mapping[str, float] | None = None,
        every: int = 10,
        ucb: bool = True,
        ucb_c: float = 1.0,
        seed: int = 0,
        sample_metric: bool = True,
        floor: float = 1e-2,
    ) -> None:
        super().__init__(names, weights, every, ucb, ucb_c, seed, sample_metric)
        if not floor > 0:
            raise ValueError(f"floor must be > 0, got {floor!r}")
        self.floor = float(floor)

    def _raw_weights(self, bonus: np.ndarray, t: int) -> np.ndarray:
        x_hat = np.maximum(self.running + 1.0 + bonus, self.floor)
        return self.preset / x_hat
