"""MO-GRPO's automatic reweighting by each reward's variance (Ichihara et al. 2025,
"MO-GRPO: Mitigating Reward Hacking of Group Relative Policy Optimization on Multi-Objective
Problems", arXiv 2509.22047)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from common.mixers.base import MIXERS, Feedback, MixDecision, RewardMixer, SourceSamples
from common.mixers.preset import preset_weights


def within_group_variance(samples: SourceSamples) -> np.ndarray:
    """(N,) each source's mean over prompt groups of its population variance inside the group
    (groups where it scored >= 2 rows); when no group has two rows (n = 1, e.g. ReMax) the
    variance over all its scored rows. NaN for a source with fewer than two scored rows."""
    scores, mask, groups = samples.scores, samples.mask, samples.groups
    out = np.full(scores.shape[1], np.nan)
    for j in range(scores.shape[1]):
        per_group = []
        for g in np.unique(groups):
            x = scores[(groups == g) & mask[:, j], j]
            if len(x) >= 2:
                per_group.append(x.var())
        if per_group:
            out[j] = float(np.mean(per_group))
        elif mask[:, j].sum() >= 2:
            out[j] = float(scores[mask[:, j], j].var())
    return out


@MIXERS.register("mo_grpo")
class MOGRPOBalancer(RewardMixer):
    """Weights inversely proportional to each reward's within-group standard deviation.

    MO-GRPO (Eq. 6 of the paper) replaces GRPO's advantage of the summed reward by the sum of
    per-reward normalized advantages, ``A_i = sum_j (r_ij - mean_g r_j) / std_g r_j``, so a
    high-variance reward can no longer dominate. As a mixer the weights are decided before
    the step's samples exist, so they use the previous steps' spread::

        v_j  <- momentum * v_j + (1 - momentum) * mean_g Var_{i in g}(s_ij)   (after a step)
        w_j  =  (W_j / (sqrt(v_j) + eps)) / sum_k (W_k / (sqrt(v_k) + eps))
        (w = W, the preset, until a source's variance was seen)

    With ``momentum=0`` and a per-step spread that changes slowly this equals the paper's
    per-reward normalization up to GRPO's group centering; ``balancer.normalize=gdpo`` gives
    the exact per-group form (each reward standardized inside its own group) for any
    balancer.

    Args:
        names: reward sources (N).
        weights: preset W over exactly ``names``; None = uniform.
        momentum: EMA factor in [0, 1) on the variance (0 = last step only).
        eps: added to the std (scaled-reward units).
    """

    learns_from_sources = True
    learns_from_samples = True

    def __init__(
        self,
        names: Sequence[str],
        weights: Mapping[str, float] | None = None,
        momentum: float = 0.0,
        eps: float = 1e-2,
    ) -> None:
        super().__init__(names)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps!r}")
        self.preset = preset_weights(self.names, weights)
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.variance = np.full(self.n, np.nan)  # (N,) NaN until seen

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        if np.isnan(self.variance).any():
            return MixDecision(weights=self.preset.copy())
        raw = self.preset / (np.sqrt(self.variance) + self.eps)
        return MixDecision(weights=raw / raw.sum())

    def update(self, feedback: Feedback) -> None:
        if feedback.samples is None:
            raise ValueError("mo_grpo learns from the step's per-sample rewards (samples=None)")
        v = within_group_variance(feedback.samples)
        seen = ~np.isnan(v)
        old = self.variance
        fresh = np.isnan(old) & seen
        both = ~np.isnan(old) & seen
        self.variance = old.copy()
        self.variance[fresh] = v[fresh]
        self.variance[both] = self.momentum * old[both] + (1 - self.momentum) * v[both]

    def state_dict(self) -> dict[str, Any]:
        return {"variance": [None if np.isnan(x) else float(x) for x in self.variance]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.variance = np.array(
            [np.nan if x is None else float(x) for x in state["variance"]], dtype=np.float64
        )
