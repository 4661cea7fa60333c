"""Exp3 (Auer et al. 2002, Fig. 1): LASeR's context-free, adversarial bandit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from common.mixers.base import MIXERS, Feedback, MixDecision, RewardMixer


@MIXERS.register("exp3")
class Exp3(RewardMixer):
    """Exponential weights over K = N arms with gamma-uniform exploration.

    Per step, with log-weights l (K,) (l = 0 at the start, i.e. w = exp(l) = 1)::

        decide:  p_k = (1 - gamma) * w_k / sum_j w_j + gamma / K      (K,)
                 k* ~ Categorical(p)                                 -> one-hot weights, arm k*
        update:  x̂_k* = r / p_k*            (importance-weighted reward, chosen arm only)
                 l_k* += gamma * x̂_k* / K    (w_k* *= exp(gamma * x̂_k* / K))

    Interpretation choices:
      - Weights live in log space and ``w / sum w`` is a max-shifted softmax, so they never
        overflow. The log-weights are not renormalized: since p_k >= gamma / K and r <= 1, one
        update adds at most ``gamma * (K / gamma) / K = 1``, so they grow at most linearly.
      - The p used by ``update`` is recomputed from the current weights, which equals the p of
        the decision because weights change only in ``update``.
      - The reward is ``Feedback.scalar`` and must lie in [0, 1] (Exp3's regret bound assumes
        it; LASeR's :class:`common.mixers.mab_reward.MABRewardScaler` produces it). Out of range raises.
      - The context is ignored. ``MixDecision.weights`` is the one-hot mixing vector of the
        sampled arm; the sampling distribution p of the last decision is ``last_probs`` (K,),
        for logging.
      - Arms are drawn by a numpy Generator seeded with ``seed``; its state is serialized.

    Args:
        names: reward sources (N arms), in order.
        gamma: exploration rate in (0, 1].
        seed: seed of the sampling RNG.
    """

    learns_from_scalar = True

    def __init__(self, names: Sequence[str], gamma: float = 0.1, seed: int = 0) -> None:
        super().__init__(names)
        if not 0 < gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1], got {gamma!r}")
        self.gamma = float(gamma)
        self.rng = np.random.default_rng(seed)
        self.log_weights = np.zeros(self.n)  # (K,) log w_k
        self.last_probs = self.probs()

    def probs(self) -> np.ndarray:
        """Sampling distribution p (K,) from the current weights."""
        w = np.exp(self.log_weights - self.log_weights.max())
        return (1.0 - self.gamma) * w / w.sum() + self.gamma / self.n

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        self.last_probs = self.probs()
        arm = int(self.rng.choice(self.n, p=self.last_probs))
        return MixDecision(weights=self.one_hot(self.n, arm), arm=arm)

    def update(self, feedback: Feedback) -> None:
        if feedback.arm is None or not 0 <= feedback.arm < self.n:
            raise ValueError(
                f"Exp3 feedback needs the chosen arm in [0, {self.n}), got {feedback.arm!r}"
            )
        r = feedback.scalar
        if r is None or not 0.0 <= r <= 1.0:
            raise ValueError(f"Exp3 needs a reward (Feedback.scalar) in [0, 1], got {r!r}")
        k = int(feedback.arm)
        x_hat = float(r) / self.probs()[k]
        self.log_weights[k] += self.gamma * x_hat / self.n

    def state_dict(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "log_weights": self.log_weights.tolist(),
            "last_probs": self.last_probs.tolist(),
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if list(state["names"]) != self.names:
            raise ValueError(f"state is for rewards {state['names']}, this bandit has {self.names}")
        self.log_weights = np.asarray(state["log_weights"], dtype=np.float64)
        self.last_probs = np.asarray(state["last_probs"], dtype=np.float64)
        self.rng.bit_generator.state = state["rng"]
