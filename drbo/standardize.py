"""Per-metric reward standardization (DRBO, Eq. 3), with a rule for metrics that never varied.

Metrics live on different scales (BLEU-4 near 0.1, hit@3 near 0.5, a reward model's logits
anywhere), so DRBO first maps each metric ``j`` to ``(r_j - mu_j) / sigma_j`` with ``mu_j`` and
``sigma_j`` estimated once from K rewards sampled from the untrained policy (K = 200 in the
paper; choosing K and checking it against the batch size is the caller's config validation).
After this, a scaled reward of 0 means "as good as the untrained policy" and 1 means "one
standard deviation better", which is what the balancers' ``x_j = mean scaled reward + 1`` and
"change of running reward" assume.

Flat metrics. A metric the untrained policy never scores on (citation F1 of a small policy,
Shopping NER, format-bound IFEval constraints) has std 0 over the K samples: Eq. 3 is then
undefined, and the old floor (divide by ``eps`` = 0.01) turned the first success into a
50-sigma outlier that made DRBO's delta weights one-hot for the rest of the run (issue 19).
The rule here (``flat_rule="one_success"``, the default): a metric whose fitted std is below
``eps`` is divided by the std its K samples would have had if one of them had scored the far
end of the metric's value range instead::

    d_j      = max(mu_j - lo, hi - mu_j)              the largest deviation the range allows
    floor_j  = d_j * sqrt(K_j) / (K_j + 1)            std of {mu_j x K_j, mu_j +- d_j}
    sigma_j  = max(std_j, eps, floor_j)               (flat metrics only)

so one full success reads as about sqrt(K) standard deviations (K = 16: 4.3; K = 200: 14), the
z-score a 1-in-(K+1) event really has, instead of ``d / eps`` (100). Metrics whose std is at
least ``eps`` keep ``sigma_j = std_j``: the paper's behaviour is unchanged where variance
exists. ``flat_rule="eps"`` restores the old floor. Scaled rewards are then clipped to
``[-clip, clip]`` (default 10; None = no clip), a bound for the cases the rule does not cover
(a metric with a little spread, e.g. one partial success among the K samples).

Alternatives compared and not taken (README, "DRBO implementation notes"): a floor from the
other metrics' pooled spread (undefined when every metric is flat, wrong when scales differ),
and re-fitting a flat metric once it varies (the new statistics would describe the trained
policy, not the untrained one Eq. 3 refers to, and would change the unit of the balancer's
running averages mid-run).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Spread threshold (metric units): a metric whose fitted std is below it is "flat". Metrics
#: here are on a 0-1 scale (common.rewards.base), so this is 1 % of the range.
DEFAULT_EPS = 1e-2
#: Default bound on |scaled reward|, in standard deviations of the untrained policy.
DEFAULT_CLIP = 10.0
#: Rules for flat metrics: ``one_success`` (see the module docstring) or ``eps`` (divide by
#: ``eps``; the behaviour before issue 19).
FLAT_RULES = ("one_success", "eps")
#: Every scorer returns values in [0, 1] (common.rewards.base).
DEFAULT_RANGE = (0.0, 1.0)


class RewardStandardizer:
    """Maps raw metric rewards to standardized ones: ``clip((r_j - mean_j) / scale_j)``.

    ``std_j`` is the population standard deviation (ddof=0) of the K_j fitted samples;
    ``scale_j`` is ``std_j`` where ``std_j >= eps`` and the flat rule's divisor elsewhere
    (module docstring).

    Args:
        names: metric names, in column order (or given to :meth:`fit`).
        eps: spread threshold (> 0) below which a metric is flat.
        flat_rule: ``one_success`` or ``eps`` (:data:`FLAT_RULES`).
        clip: bound (> 0) on |scaled reward|, or None for no clip.
        value_range: (lo, hi) of the metrics' raw values, lo < hi.
    """

    def __init__(
        self,
        names: Sequence[str] | None = None,
        eps: float = DEFAULT_EPS,
        flat_rule: str = "one_success",
        clip: float | None = DEFAULT_CLIP,
        value_range: tuple[float, float] = DEFAULT_RANGE,
    ) -> None:
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps}")
        if flat_rule not in FLAT_RULES:
            raise ValueError(f"flat_rule={flat_rule!r}; allowed values: {', '.join(FLAT_RULES)}")
        if clip is not None and not clip > 0:
            raise ValueError(f"clip must be > 0 or None, got {clip}")
        lo, hi = (float(v) for v in value_range)
        if not lo < hi:
            raise ValueError(f"value_range must have lo < hi, got {value_range}")
        self.names: list[str] | None = list(names) if names is not None else None
        self.eps = float(eps)
        self.flat_rule = flat_rule
        self.clip = None if clip is None else float(clip)
        self.value_range = (lo, hi)
        self.mean: np.ndarray | None = None  # (N,)
        self.std: np.ndarray | None = None  # (N,), as fitted, before any rule
        self.count: np.ndarray | None = None  # (N,), K_j: samples each metric was fitted on

    @classmethod
    def from_config(
        cls, names: Sequence[str], trainer_cfg: Mapping[str, Any]
    ) -> RewardStandardizer:
        """Build from the ``trainer.standardize_*`` keys (their defaults:
        common.training.config.TrainerConfig)."""
        return cls(
            names,
            eps=float(trainer_cfg["standardize_eps"]),
            flat_rule=str(trainer_cfg["standardize_flat"]),
            clip=trainer_cfg["standardize_clip"],
        )

    @property
    def fitted(self) -> bool:
        return self.mean is not None

    def fit(
        self,
        samples: np.ndarray | Mapping[str, Sequence[float]],
        names: Sequence[str] | None = None,
    ) -> RewardStandardizer:
        """Estimate mean and std per metric; warn about every flat or sparse metric.

        Args:
            samples: array of shape (K, N) whose columns follow ``names`` (or the names given
                to the constructor), or a mapping name -> K_j rewards (its key order is used
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
            count = np.array([float(c.size) for c in columns])
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
            count = np.full(len(order), float(arr.shape[0]))
        if not np.all(np.isfinite(values)):
            raise ValueError("cannot fit the standardizer on non-finite rewards")
        self.names, self.mean, self.std, self.count = order, mean, std, count
        for line in self.spread_report():
            log.warning(line)
        return self

    # ---- the rule ---------------------------------------------------------------------------
    @property
    def flat(self) -> np.ndarray:
        """(N,) bool: metrics whose fitted std is below ``eps`` (zero or near-zero spread)."""
        self._check_fitted()
        return self.std < self.eps

    @property
    def one_success_std(self) -> np.ndarray:
        """(N,) ``d_j sqrt(K_j) / (K_j + 1)``: the std had one of the K_j samples been at the
        far end of the value range (module docstring)."""
        self._check_fitted()
        lo, hi = self.value_range
        reach = np.maximum(self.mean - lo, hi - self.mean)
        return reach * np.sqrt(self.count) / (self.count + 1.0)

    @property
    def scale(self) -> np.ndarray:
        """The divisor actually used, shape (N,): ``std_j`` where the metric varied, the flat
        rule's ``max(std_j, eps[, floor_j])`` where it did not."""
        self._check_fitted()
        floor = np.full_like(self.std, self.eps)
        if self.flat_rule == "one_success":
            floor = np.maximum(floor, self.one_success_std)
        return np.where(self.flat, np.maximum(self.std, floor), self.std)

    def spread_report(self) -> list[str]:
        """One warning line per flat metric (std < eps; the rule applies) and per sparse one
        (std >= eps but so small that a top score reads beyond the clip; kept as fitted, its
        rare successes are clipped). Empty when every metric has ordinary spread."""
        self._check_fitted()
        bound = "no clip" if self.clip is None else f"clipped at +-{self.clip:g}"
        lines = []
        floor = self.one_success_std
        scale = self.scale
        hi = self.value_range[1]
        for j, m in enumerate(self.names):
            best = (hi - self.mean[j]) / scale[j]  # scaled reward of a top score
            stats = f"{m!r}: std {self.std[j]:.4g} over K={int(self.count[j])} samples"
            if self.flat[j]:
                rule = (
                    "the std had one of the K samples scored the far end of the value range"
                    if self.flat_rule == "one_success"
                    else "standardize_flat=eps"
                )
                lines.append(
                    f"reward statistics: {stats}, mean {self.mean[j]:.4g}: zero or near-zero "
                    f"spread (< standardize_eps={self.eps:g}); divided by {scale[j]:.4g} "
                    f"({rule}), so a score of {hi:g} reads as {best:.3g} std ({bound})"
                )
            elif best > (self.clip if self.clip is not None else (hi - self.mean[j]) / floor[j]):
                # only where it matters: a top score would pass the clip (without a clip,
                # the one-success bound a flat metric gets)
                lines.append(
                    f"reward statistics: {stats}, mean {self.mean[j]:.4g}: sparse (std below "
                    f"{floor[j]:.4g}, that of one full success among the K); kept as fitted, so a "
                    f"score of {hi:g} reads as {best:.3g} std ({bound})"
                )
        return lines

    # ---- use --------------------------------------------------------------------------------
    def transform(self, raw: Mapping[str, float] | np.ndarray) -> dict[str, float] | np.ndarray:
        """Standardize rewards, then clip to ``[-clip, clip]``.

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
            scaled = self._clip((vec - self.mean) / self.scale)
            return {m: float(v) for m, v in zip(self.names, scaled, strict=True)}
        arr = np.asarray(raw, dtype=np.float64)
        if arr.shape[-1] != len(self.names) or arr.ndim not in (1, 2):
            raise ValueError(
                f"rewards must have shape (N,) or (B, N) with N={len(self.names)}, got {arr.shape}"
            )
        return self._clip((arr - self.mean) / self.scale)

    def _clip(self, scaled: np.ndarray) -> np.ndarray:
        return scaled if self.clip is None else np.clip(scaled, -self.clip, self.clip)

    def log_dict(self) -> dict[str, float]:
        """The statistics in use, for metrics.jsonl: ``mean/<m>`` and ``std/<m>`` (the
        divisor after the flat rule)."""
        self._check_fitted()
        out = {f"mean/{m}": float(v) for m, v in zip(self.names, self.mean, strict=True)}
        out.update({f"std/{m}": float(v) for m, v in zip(self.names, self.scale, strict=True)})
        return out

    # ---- checkpoints ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """JSON-serializable state."""
        return {
            "names": self.names,
            "eps": self.eps,
            "flat_rule": self.flat_rule,
            "clip": self.clip,
            "value_range": list(self.value_range),
            "mean": None if self.mean is None else self.mean.tolist(),
            "std": None if self.std is None else self.std.tolist(),
            "count": None if self.count is None else self.count.tolist(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`. A checkpoint written before the flat rule existed (no
        ``count``) keeps the ``eps`` floor and no clip, the statistics it was trained with."""
        self.names = None if state["names"] is None else list(state["names"])
        self.eps = float(state["eps"])
        self.mean = None if state["mean"] is None else np.asarray(state["mean"], dtype=np.float64)
        self.std = None if state["std"] is None else np.asarray(state["std"], dtype=np.float64)
        if "count" in state:
            self.flat_rule = str(state["flat_rule"])
            self.clip = None if state["clip"] is None else float(state["clip"])
            self.value_range = tuple(float(v) for v in state["value_range"])
            c = state["count"]
            self.count = None if c is None else np.asarray(c, dtype=np.float64)
        else:  # written before issue 19: keep the statistics' old meaning
            self.flat_rule, self.clip = "eps", None
            self.count = None if self.mean is None else np.ones_like(self.mean)

    def _check_fitted(self) -> None:
        if self.mean is None:
            raise RuntimeError(
                "RewardStandardizer is not fitted; call fit() on sampled rewards first"
            )
