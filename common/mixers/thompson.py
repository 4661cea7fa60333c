"""Linear Thompson sampling over the bandit context (Agrawal & Goyal 2013, "Thompson
Sampling for Contextual Bandits with Linear Payoffs", ICML; the router of BayesianRouter,
arXiv 2510.02850, picks a reward model per query this way)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common.mixers.base import MIXERS, MixDecision
from common.mixers.linucb import LinUCB


@MIXERS.register("thompson")
class LinearThompson(LinUCB):
    """LinUCB's per-arm ridge regression, with a posterior sample instead of a UCB bonus.

    Per arm k the posterior of theta_k is N(theta_hat_k, v^2 A_k^-1), theta_hat_k = A_k^-1 b_k
    (A_k, b_k and the Sherman-Morrison update exactly as :class:`LinUCB`). A decision samples
    theta~_k for every arm and plays argmax_k c . theta~_k. Only the projection on the one
    context c matters, and c . theta~_k ~ N(c . theta_hat_k, v^2 c^T A_k^-1 c), so the
    sample is drawn as that scalar normal::

        p_k = c . theta_hat_k + v * sqrt(c^T A_k^-1 c) * z_k,   z_k ~ N(0, 1) i.i.d.

    (O(K d^2) per decision instead of a Cholesky factor per arm.) Per query
    (``granularity=query``) every prompt draws its own sample. The RNG (seeded with
    ``seed``) is part of the state, so a resumed run draws the same samples.

    Args:
        v: posterior scale (Agrawal & Goyal's v; >= 0, 0 is greedy ridge regression).
        ridge, dim, normalize_context, seed: as for :class:`LinUCB`.
    """

    def __init__(
        self,
        names: Sequence[str],
        v: float = 1.0,
        ridge: float = 1.0,
        dim: int | None = None,
        normalize_context: bool = True,
        seed: int = 0,
    ) -> None:
        if not v >= 0:
            raise ValueError(f"v must be >= 0, got {v!r}")
        super().__init__(
            names, alpha=0.0, ridge=ridge, dim=dim, normalize_context=normalize_context, seed=seed
        )
        self.v = float(v)

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        c = self._context(context, "decide")
        self._ucb(c)  # theta (K, d) and width (K,) = sqrt(c^T A_k^-1 c), alpha = 0
        p = self.theta @ c + self.v * self.width * self.rng.standard_normal(self.n)
        arm = int(np.argmax(p))
        self.last_scores = p
        return MixDecision(weights=self.one_hot(self.n, arm), arm=arm)
