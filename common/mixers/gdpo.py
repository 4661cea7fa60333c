"""GDPO's reward-side options of the reward step: per-reward group normalization and
conditioned rewards (Liu et al. 2026, "GDPO: Group reward-Decoupled Normalization Policy
Optimization", arXiv 2601.05242).

Rows are prompt-major, n per prompt (B = G * n); N reward sources.

``balancer.normalize=gdpo`` (GDPO Eq. 5-6): before the weights, each source j is
standardized within each prompt group g over the rows it scored,

    s'_gij = (s_gij - mean_i s_gij) / (std_i s_gij + eps)          (population std)

so a reward whose values vary little in a group (a near-solved rule reward) counts as much
as one that varies a lot (a reward model's logits); a source that scored fewer than two rows
of a group, or is constant in it, gives 0 there. ``none`` leaves the scores as they are.

Conditioned rewards (GDPO Eq. 8): ``{k: {gate: l, threshold: t}}`` makes source k count only
where source l passes, on the raw scores, before any standardization:

    r'_k = r_k  if r_l >= t  else 0

(a row whose gate was not scored does not pass). Used against reward hacking: an easy
reward (format, length) only counts once the hard one (correctness) is met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

NORMALIZATIONS = ("none", "gdpo")


def group_standardize(
    scores: np.ndarray, mask: np.ndarray, n: int, eps: float = 1e-4
) -> np.ndarray:
    """(B, N) scores -> (B, N) standardized within each group of n rows, per source; 0 where
    masked, in groups of fewer than two scored rows, and where a group's source is constant."""
    scores = np.asarray(scores, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    B, N = scores.shape
    if n < 2 or B % n:
        raise ValueError(
            f"balancer.normalize=gdpo standardizes within groups of n >= 2 samples of a "
            f"prompt; got {B} rows in groups of n={n} (use trainer=grpo|rloo|laser_dpo, or "
            "balancer.normalize=none)"
        )
    s = scores.reshape(B // n, n, N)
    m = mask.reshape(B // n, n, N).astype(np.float64)
    count = m.sum(axis=1, keepdims=True)
    mean = (s * m).sum(axis=1, keepdims=True) / np.maximum(count, 1.0)
    var = (((s - mean) * m) ** 2).sum(axis=1, keepdims=True) / np.maximum(count, 1.0)
    keep = np.broadcast_to((count >= 2) & (var > 0), s.shape)
    out = np.divide((s - mean) * m, np.sqrt(var) + eps, out=np.zeros_like(s), where=keep)
    return out.reshape(B, N)


def parse_conditions(
    conditions: Mapping[str, Any] | None, names: Sequence[str]
) -> list[tuple[int, int, float]]:
    """``{reward: {gate, threshold}}`` -> [(k, l, t)] source indices; errors name the key."""
    out = []
    for k, spec in dict(conditions or {}).items():
        where = f"balancer.conditions.{k}"
        if k not in names:
            raise ValueError(f"{where}: {k!r} is not a reward; allowed values: {', '.join(names)}")
        spec = dict(spec or {})
        if set(spec) != {"gate", "threshold"}:
            raise ValueError(
                f"{where} needs exactly the keys gate and threshold, got {sorted(spec)}"
            )
        gate = spec["gate"]
        if gate not in names or gate == k:
            raise ValueError(f"{where}.gate={gate!r}: must be another reward of {', '.join(names)}")
        out.append((list(names).index(k), list(names).index(gate), float(spec["threshold"])))
    return out


def apply_conditions(
    scores: np.ndarray, mask: np.ndarray, conditions: Sequence[tuple[int, int, float]]
) -> np.ndarray:
    """(B, N) raw scores with each conditioned source zeroed where its gate fails (Eq. 8)."""
    out = np.array(scores, dtype=np.float64, copy=True)
    mask = np.asarray(mask, dtype=bool)
    for k, gate, threshold in conditions:
        passed = mask[:, gate] & (np.asarray(scores)[:, gate] >= threshold)
        out[:, k] = np.where(passed, out[:, k], 0.0)
    return out
