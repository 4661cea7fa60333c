"""Correlation-aware reward weighting: a reward that moves with the others is down-weighted,
one that conflicts with them (and, optionally, one the policy is worst at) is up-weighted.

After the correlation-weighted multi-reward and rubric-weighting lines of work (e.g.
rubric weights in RaR, Gunjal et al. 2025, "Rubrics as Rewards", arXiv 2507.17746);
the exact estimator implemented is the one below, not any one paper's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from common.mixers.base import MIXERS, Feedback, MixDecision, RewardMixer, SourceSamples
from common.mixers.preset import preset_weights


def group_centered_correlation(samples: SourceSamples) -> np.ndarray:
    """(N, N) Pearson correlation of the sources over the rows every source scored, each
    value first centered within its prompt group (rows of a group of one are centered on
    the mean of those rows), so a prompt's difficulty does not make rewards look alike::

        x_ij   = s_ij - mean_{i' in g(i)} s_i'j
        rho_jk = sum_i x_ij x_ik / sqrt(sum_i x_ij^2 sum_i x_ik^2)   (0 if a sum is 0)

    The diagonal is 1. NaN everywhere when fewer than two rows were scored by every source.
    """
    rows = samples.mask.all(axis=1)
    s, groups = samples.scores[rows], samples.groups[rows]
    N = s.shape[1]
    if len(s) < 2:
        return np.full((N, N), np.nan)
    x = s.copy()
    sizes = {g: int((groups == g).sum()) for g in np.unique(groups)}
    singles = np.array([sizes[g] == 1 for g in groups])
    for g, size in sizes.items():
        if size > 1:
            x[groups == g] -= s[groups == g].mean(axis=0)
    if singles.any():
        x[singles] -= s[singles].mean(axis=0)
    norms = np.sqrt((x**2).sum(axis=0))  # (N,)
    denom = np.outer(norms, norms)
    rho = np.divide(x.T @ x, denom, out=np.zeros((N, N)), where=denom > 0)
    np.fill_diagonal(rho, 1.0)
    return rho


@MIXERS.register("correlation")
class CorrelationBalancer(RewardMixer):
    """Weights from each reward's mean correlation with the others (and its level).

    After each step (C: the step's :func:`group_centered_correlation`, m: the mean scaled
    reward per source, both EMA'd with ``momentum``)::

        c_j  = 1/(N-1) sum_{k != j} C_jk                      in [-1, 1]: redundancy
        u_j  = max(1 - c_j, floor)                            in [floor, 2]
        h_j  = 1 / max(m_j + 1, floor)   if hardness else 1   (DRBO ``inverse``'s x_j)
        w_j  = W_j u_j h_j / sum_k W_k u_k h_k

    Two rewards that always agree get u = 0 -> floor (they count as one, shared); a reward
    anti-correlated with the rest gets up to 2; with hardness, one the policy is behind on
    (low standardized reward) gets more. Until a correlation was seen w = W. With one
    source the weight is 1.

    Args:
        names: reward sources (N).
        weights: preset W; None = uniform.
        momentum: EMA factor in [0, 1) on C and m (0 = the last step's).
        hardness: multiply by h_j.
        floor: lower bound of u_j and of m_j + 1 (> 0).
    """

    learns_from_sources = True
    learns_from_samples = True

    def __init__(
        self,
        names: Sequence[str],
        weights: Mapping[str, float] | None = None,
        momentum: float = 0.0,
        hardness: bool = False,
        floor: float = 0.05,
    ) -> None:
        super().__init__(names)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if not floor > 0:
            raise ValueError(f"floor must be > 0, got {floor!r}")
        self.preset = preset_weights(self.names, weights)
        self.momentum = float(momentum)
        self.hardness = bool(hardness)
        self.floor = float(floor)
        self.corr: np.ndarray | None = None  # (N, N)
        self.level = np.zeros(self.n)  # (N,) EMA of the mean scaled reward

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        if self.corr is None or self.n == 1:
            return MixDecision(weights=self.preset.copy())
        c = (self.corr.sum(axis=1) - 1.0) / (self.n - 1)
        raw = self.preset * np.maximum(1.0 - c, self.floor)
        if self.hardness:
            raw = raw / np.maximum(self.level + 1.0, self.floor)
        return MixDecision(weights=raw / raw.sum())

    def update(self, feedback: Feedback) -> None:
        if feedback.samples is None:
            raise ValueError("correlation learns from the step's per-sample rewards (samples=None)")
        mu = self.momentum
        for j, m in enumerate(self.names):
            if m in feedback.source_rewards:
                self.level[j] = mu * self.level[j] + (1 - mu) * feedback.source_rewards[m]
        rho = group_centered_correlation(feedback.samples)
        if np.isnan(rho).any():
            return
        self.corr = rho if self.corr is None else mu * self.corr + (1 - mu) * rho

    def state_dict(self) -> dict[str, Any]:
        return {
            "corr": None if self.corr is None else self.corr.tolist(),
            "level": self.level.tolist(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.corr = None if state["corr"] is None else np.asarray(state["corr"], dtype=np.float64)
        self.level = np.asarray(state["level"], dtype=np.float64)
