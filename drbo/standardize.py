"""Per-metric reward standardization (DRBO, Eq. 3).

Metrics live on different scales (BLEU-4 near 0.1, hit@3 near 0.5, a reward model's logits
anywhere), so DRBO first maps each metric ``j`` to ``(r_j - mu_j) / sigma_j`` with ``mu_j`` and
``sigma_j`` estimated once from K rewards sampled from the untrained policy (K = 200 in the
paper; choosing K and checking it against the batch size is the caller's config validation).
After this, a scaled reward of 0 means "as good as the untrained policy" and 1 means "one
standard deviation better", which is what the balancers' ``x_j = mean scaled reward + 1`` and
"change of running reward" assume.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: Default std floor. Metrics here are mostly on a 0-1 scale; a metric that never varied
#: under the untrained policy (std 0, e.g. always 0) is divided by this instead of by 0, so a
#: 0.01 improvement reads as one standard deviation. Raise it (``eps=1.0`` = centering only)
#: if such a metric should not be amplified that much.
DEFAULT_EPS = 1e-2


class RewardStandardizer:
    """Maps raw metric rewards to standardized ones: ``(r_j - mean_j) / max(std_j, eps)``.

    ``std_j`` is the population standard deviation (ddof=0) of the K fitted samples. The
    floor ``eps`` (not ``std + eps``) leaves well-behaved metrics untouched and only guards
    zero or near-zero variance.
    """

    def __init__(self, names: Sequence[str] | None = None, eps: float = DEFAULT_EPS) -> None:
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps}")
        self.names: list[str] | None = list(names) if names is not None else None
        self.eps = float(eps)
        self.mean: np.ndarray | None = None  # (N,)
        self.std: np.ndarray | None = None  # (N,), before the floor

    @property
    def fitted(self) -> bool:
        return self.mean is not None

    def fit(
        self,
        samples: np.ndarray | Mapping[str, Sequence[float]],
        names: Sequence[str] | None = None,
    ) -> RewardStandardizer:
        """Estimate mean and std per metric.

        Args:
            samples: array of shape (K, N) whose columns follow ``names`` (or the names given
                to the constructor), or a mapping name -> K rewards (its key order is used
                when no names were given).
            names: column names for an array; overrides the constructor's.
        Raises:
            ValueError: no samples, a metric with no samples, non-finite values, or a
                column count that does not match the names.
        """
        if isinstance(samples, Mapping):
            order = list(names or self.names or list(samples))
            missing = [m for m in order if m not in samples]
            extra = sorted(set(samples) - set(order))
            if missing or extra:
                raise KeyError(
                    f"samples must cover exactly {order}; missing {missing}, extra {extra}"
                )
            columns = [np.asarray(samples[m], dtype=np.float64).reshape(-1) for m in order]
            for m, col in zip(order, columns, strict=True):
                if col.size == 0:
                    raise ValueError(f"cannot fit the standardizer: metric {m!r} has no samples")
            mean = np.array([c.mean() for c in columns])
            std = np.array([c.std() for c in columns])
            values = np.concatenate(columns)
        else:
            order = list(names or self.names or [])
            arr = np.asarray(samples, dtype=np.float64)
            if arr.ndim != 2:
                raise ValueError(f"samples must have shape (K, N), got {arr.shape}")
            if arr.shape[0] == 0:
                raise ValueError("cannot fit the standardizer on an empty sample (K = 0)")
            if not order:
                raise ValueError("fitting from an array needs the metric names")
            if arr.shape[1] != len(order):
                raise ValueError(
                    f"samples have {arr.shape[1]} columns but {len(order)} names {order}"
                )
            mean, std, values = arr.mean(axis=0), arr.std(axis=0), arr
        if not np.all(np.isfinite(values)):
            raise ValueError("cannot fit the standardizer on non-finite rewards")
        self.names, self.mean, self.std = order, mean, std
        return self

    @property
    def scale(self) -> np.ndarray:
        """The divisor actually used, ``max(std_j, eps)``, shape (N,)."""
        self._check_fitted()
        return np.maximum(self.std, self.eps)

    def transform(self, raw: Mapping[str, float] | np.ndarray) -> dict[str, float] | np.ndarray:
        """Standardize rewards.

        Args:
            raw: mapping name -> reward (exactly the fitted names), or an array of shape
                (N,) or (B, N) with columns in the fitted order.
        Returns:
            the same kind: a dict name -> scaled reward, or an array of ``raw``'s shape.
        """
        self._check_fitted()
        if isinstance(raw, Mapping):
            missing = [m for m in self.names if m not in raw]
            extra = sorted(set(raw) - set(self.names))
            if missing or extra:
                raise KeyError(
                    f"rewards must cover exactly {self.names}; missing {missing}, extra {extra}"
                )
            vec = np.array([float(raw[m]) for m in self.names])
            scaled = (vec - self.mean) / self.scale
            return {m: float(v) for m, v in zip(self.names, scaled, strict=True)}
        arr = np.asarray(raw, dtype=np.float64)
        if arr.shape[-1] != len(self.names) or arr.ndim not in (1, 2):
            raise ValueError(
                f"rewards must have shape (N,) or (B, N) with N={len(self.names)}, got {arr.shape}"
            )
        return (arr - self.mean) / self.scale

    def state_dict(self) -> dict[str, Any]:
        """JSON-serializable state."""
        return {
            "names": self.names,
            "eps": self.eps,
            "mean": None if self.mean is None else self.mean.tolist(),
            "std": None if self.std is None else self.std.tolist(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.names = None if state["names"] is None else list(state["names"])
        self.eps = float(state["eps"])
        self.mean = None if state["mean"] is None else np.asarray(state["mean"], dtype=np.float64)
        self.std = None if state["std"] is None else np.asarray(state["std"], dtype=np.float64)

    def _check_fitted(self) -> None:
        if self.mean is None:
            raise RuntimeError(
                "RewardStandardizer is not fitted; call fit() on sampled rewards first"
            )
