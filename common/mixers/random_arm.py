"""LASeR's "uniform random" baseline: a reward model drawn uniformly each step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from common.mixers.base import MIXERS, MixDecision, RewardMixer


@MIXERS.register("random")
class RandomArm(RewardMixer):
    """``k ~ Uniform{0, ..., N-1}`` each step, one-hot weights on k; learns nothing.

    The context and the feedback are ignored. Arms come from a numpy Generator seeded with
    ``seed``; its state is serialized so a resumed run draws the same arms.

    Args:
        names: reward sources (N arms), in order.
        seed: seed of the sampling RNG.
    """

    learns_from_scalar = True

    def __init__(self, names: Sequence[str], seed: int = 0) -> None:
        super().__init__(names)
        self.rng = np.random.default_rng(seed)

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        arm = int(self.rng.integers(self.n))
        return MixDecision(weights=self.one_hot(self.n, arm), arm=arm)

    def state_dict(self) -> dict[str, Any]:
        return {"names": self.names, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if list(state["names"]) != self.names:
            raise ValueError(f"state is for rewards {state['names']}, this bandit has {self.names}")
        self.rng.bit_generator.state = state["rng"]
