"""Validation and normalization of preset weights W (shared by every balancer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def preset_weights(names: Sequence[str], weights: Mapping[str, float] | None) -> np.ndarray:
    """W as an array in ``names`` order, normalized to sum 1; ``None`` means uniform 1/N.

    Args:
        names: the reward names, in the mixer's order (N of them).
        weights: mapping name -> non-negative float (e.g. ``{"ner_f1": 3, "rouge_l": 1}``); its
            keys must be exactly ``names`` so a typo never silently becomes weight 0.
    Returns:
        float array of shape (N,), non-negative, summing to 1.
    Raises:
        ValueError: keys differ from ``names`` (the extra and missing keys are named), a weight
            is negative or non-finite (named), or all weights are 0.
    """
    n = len(names)
    if weights is None:
        return np.full(n, 1.0 / n)
    if not isinstance(weights, Mapping):
        raise TypeError(f"weights must be a mapping name -> float, got {type(weights).__name__}")
    keys = [str(k) for k in weights]
    extra = sorted(set(keys) - set(names))
    missing = [m for m in names if m not in keys]
    if extra or missing:
        raise ValueError(
            f"weights keys must match the reward names {list(names)} exactly; "
            f"extra keys: {extra}, missing keys: {missing}"
        )
    w = np.array([float(weights[m]) for m in names], dtype=np.float64)
    bad = [m for m, v in zip(names, w, strict=True) if not np.isfinite(v) or v < 0]
    if bad:
        raise ValueError(f"weights must be finite and >= 0; bad keys: {bad}")
    if w.sum() <= 0:
        raise ValueError("weights must not all be 0")
    return w / w.sum()
