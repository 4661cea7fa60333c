"""LinUCB, disjoint linear model (Li et al. 2010, Algorithm 1): LASeR's contextual bandit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from common.mixers.base import MIXERS, Feedback, MixDecision, RewardMixer
from common.rundir.array_codec import decode_array, encode_array

# UCB scores this close to the maximum count as tied (float noise, not a real preference).
_TIE_TOL = 1e-12


@MIXERS.register("linucb")
class LinUCB(RewardMixer):
    """One ridge regression per arm from the context to the MAB reward, plus a UCB bonus.

    Per arm k (K = N arms, one per reward source), d = context dimension::

        init:       A_k = ridge * I   (d, d)          b_k = 0   (d,)
        decide(c):  theta_k = A_k^-1 b_k               (d,)
                    p_k = c . theta_k + alpha * sqrt(c^T A_k^-1 c)
                    k*  = argmax_k p_k                 -> one-hot weights (N,), arm k*
        update:     A_k* += c c^T        b_k* += r c   (the chosen arm only)

    The bandit keeps ``A_k^-1`` itself (``A_inv``, (K, d, d)) and updates it with the
    Sherman-Morrison identity, ``A^-1 -= (A^-1 c)(A^-1 c)^T / (1 + c^T A^-1 c)``: a decision
    is then two mat-vecs per arm and an update one rank-1 correction, O(K d^2) instead of the
    O(K d^3) of re-solving (at d = 576 that is ~1 ms instead of 20-170 ms, the difference
    between under and over 1% of a training step). A stays symmetric positive definite with
    eigenvalues >= ridge, so A^-1 is well conditioned and the recursion does not drift in
    float64 (tested against ``np.linalg.inv`` after hundreds of updates). ``A`` is available
    as a property, recomputed from ``A_inv``, for inspection only.

    Interpretation choices:
      - Ties (scores within 1e-12 of the maximum) are broken uniformly at random by a numpy
        Generator seeded with ``seed``, not by the lowest index: at the first step every arm
        ties (A_k = ridge * I, b_k = 0) and a fixed rule would always start on the first
        source. The Generator's state is part of ``state_dict``.
      - ``normalize_context`` (default) divides c by its L2 norm (a zero vector is left as is),
        in ``decide`` and ``update`` alike. Mean prompt embeddings of an LM have norms of tens
        to hundreds that differ between models; on unit vectors the first bonus is
        ``alpha / sqrt(ridge)`` and ``alpha`` and ``ridge`` keep the same meaning whatever the
        embedding model.
      - ``dim=None`` infers d from the first context seen (by ``decide`` or ``update``); from
        then on d is fixed and another size raises ValueError.
      - The MAB reward ``r`` is ``Feedback.scalar`` (LASeR: in [0, 1], see
        :class:`common.mixers.mab_reward.MABRewardScaler`); it is not range-checked here because
        ridge regression is defined for any real reward.

    State (``state_dict``) holds A^-1 (K, d, d) and b (K, d) bit-exactly as base64 float64
    (:mod:`common.rundir.array_codec`): for d = 576 and 4 arms ~14 MB; for d = 4096 and 3 arms
    ~540 MB, the price of exactly resumable runs (``normalize_context`` does not change d;
    project the context to fewer dimensions when that matters). States written by earlier
    versions (A as nested lists) still load.

    Args:
        names: reward sources (N arms), in order.
        alpha: exploration multiplier on the confidence width (>= 0).
        ridge: lambda, the ridge prior on each A_k (> 0).
        dim: context dimension d; None = inferred from the first context.
        normalize_context: L2-normalize contexts (see above).
        seed: seed of the tie-breaking RNG.
    """

    needs_context = True
    learns_from_scalar = True

    def __init__(
        self,
        names: Sequence[str],
        alpha: float = 1.0,
        ridge: float = 1.0,
        dim: int | None = None,
        normalize_context: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__(names)
        if not alpha >= 0:
            raise ValueError(f"alpha must be >= 0, got {alpha!r}")
        if not ridge > 0:
            raise ValueError(f"ridge must be > 0, got {ridge!r}")
        if dim is not None and (int(dim) != dim or dim <= 0):
            raise ValueError(f"dim must be a positive integer or None, got {dim!r}")
        self.alpha = float(alpha)
        self.ridge = float(ridge)
        self.normalize_context = bool(normalize_context)
        self.rng = np.random.default_rng(seed)
        self.dim: int | None = None
        self.A_inv: np.ndarray | None = None  # (K, d, d)
        self.b: np.ndarray | None = None  # (K, d)
        if dim is not None:
            self._init_arms(int(dim))

    def _init_arms(self, d: int) -> None:
        self.dim = d
        self.A_inv = np.repeat(np.eye(d)[None] / self.ridge, self.n, axis=0)
        self.b = np.zeros((self.n, d))

    @property
    def A(self) -> np.ndarray | None:  # noqa: N802 - the paper's name
        """The design matrices A_k (K, d, d), inverted back from ``A_inv`` (O(K d^3))."""
        return None if self.A_inv is None else np.linalg.inv(self.A_inv)

    def _context(self, context: np.ndarray | None, where: str) -> np.ndarray:
        """Validated (and normalized) context, shape (d,); fixes d on first sight."""
        if context is None:
            raise ValueError(
                f"LinUCB.{where} needs a context vector (the batch's mean prompt embedding, "
                "shape (d,)); got None"
            )
        c = np.asarray(context, dtype=np.float64)
        if c.ndim != 1:
            raise ValueError(f"context must have shape (d,), got shape {c.shape}")
        if not np.all(np.isfinite(c)):
            raise ValueError("context has non-finite entries")
        if self.dim is None:
            self._init_arms(c.shape[0])
        elif c.shape[0] != self.dim:
            raise ValueError(
                f"context has dimension {c.shape[0]}, but this LinUCB has dim {self.dim}"
            )
        if self.normalize_context:
            norm = np.linalg.norm(c)
            if norm > 0:
                c = c / norm
        return c

    def scores(self, context: np.ndarray) -> np.ndarray:
        """UCB scores p (K,) for a raw ``context`` (d,), without choosing an arm."""
        return self._ucb(self._context(context, "scores"))

    def _ucb(self, c: np.ndarray) -> np.ndarray:
        """p (K,) for a validated context c (d,); keeps ``theta`` (K, d) and ``width`` (K,)."""
        self.theta = np.einsum("kij,kj->ki", self.A_inv, self.b)  # (K, d)
        a_inv_c = self.A_inv @ c  # (K, d)
        # c^T A^-1 c >= 0 in exact arithmetic; clip the float noise before the sqrt
        self.width = np.sqrt(np.maximum(a_inv_c @ c, 0.0))
        return self.theta @ c + self.alpha * self.width

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        p = self._ucb(self._context(context, "decide"))
        best = np.flatnonzero(p >= p.max() - _TIE_TOL * max(1.0, abs(p.max())))
        arm = int(best[0]) if len(best) == 1 else int(self.rng.choice(best))
        self.last_scores = p  # (K,) for logging
        return MixDecision(weights=self.one_hot(self.n, arm), arm=arm)

    def update(self, feedback: Feedback) -> None:
        if feedback.arm is None or not 0 <= feedback.arm < self.n:
            raise ValueError(
                f"LinUCB feedback needs the chosen arm in [0, {self.n}), got {feedback.arm!r}"
            )
        if feedback.scalar is None or not np.isfinite(feedback.scalar):
            raise ValueError(
                f"LinUCB feedback needs a finite scalar reward, got {feedback.scalar!r}"
            )
        c = self._context(feedback.context, "update")
        k = int(feedback.arm)
        a_inv_c = self.A_inv[k] @ c  # (d,); A^-1 symmetric, so also c^T A^-1
        self.A_inv[k] -= np.outer(a_inv_c, a_inv_c) / (1.0 + a_inv_c @ c)
        self.b[k] += float(feedback.scalar) * c

    def state_dict(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "dim": self.dim,
            "A_inv": None if self.A_inv is None else encode_array(self.A_inv),
            "b": None if self.b is None else encode_array(self.b),
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if list(state["names"]) != self.names:
            raise ValueError(f"state is for rewards {state['names']}, this bandit has {self.names}")
        if state["dim"] is None:
            self.dim, self.A_inv, self.b = None, None, None
        else:
            self.dim = d = int(state["dim"])
            if "A_inv" in state:
                self.A_inv = decode_array(state["A_inv"]).reshape(self.n, d, d)
                self.b = decode_array(state["b"]).reshape(self.n, d)
            else:  # written before A^-1 was kept: nested lists of A and b
                a = np.asarray(state["A"], dtype=np.float64).reshape(self.n, d, d)
                self.A_inv = np.linalg.inv(a)
                self.b = np.asarray(state["b"], dtype=np.float64).reshape(self.n, d)
        self.rng.bit_generator.state = state["rng"]
