"""The paper's "simply inverse reward" baseline: inverse weights with no UCB and no sampling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from common.mixers.base import MIXERS
from common.mixers.inverse import InverseBalancer


@MIXERS.register("simple_inverse")
class SimpleInverseBalancer(InverseBalancer):
    """``w_j ∝ W_j / max(running mean scaled reward_j + 1, floor)``, every ``every`` steps.

    With the default uniform W this is exactly ``z_j ∝ 1 / (x_j + 1)``. The UCB bonus is
    always off (so counts never matter), and by default no metric is sampled
    (``MixDecision.arm`` is None); ``sample_metric=True`` only adds the sampled arm.
    """

    def __init__(
        self,
        names: Sequence[str],
        weights: Mapping[str, float] | None = None,
        every: int = 10,
        seed: int = 0,
        sample_metric: bool = False,
        floor: float = 1e-2,
    ) -> None:
        super().__init__(
            names,
            weights,
            every,
            ucb=False,
            ucb_c=0.0,
            seed=seed,
            sample_metric=sample_metric,
            floor=floor,
        )
