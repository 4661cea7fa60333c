"""DRBO's ``average`` mode: static weights W (1/N by default), with the sampled metric."""

from __future__ import annotations

import numpy as np

from common.mixers.base import MIXERS
from common.mixers.dynamic import DynamicBalancer


@MIXERS.register("average")
class AverageBalancer(DynamicBalancer):
    """``w_j = W_j`` (normalized; 1/N when no W is given), never changes.

    It still runs Algorithm 1's loop (sampled metric, counts, running averages) so it is the
    control for the dynamic modes; the UCB bonus is computed but not used, since adding a
    bonus to a constant weight is not in the paper.
    """

    def _raw_weights(self, bonus: np.ndarray, t: int) -> np.ndarray:
        return self.preset
