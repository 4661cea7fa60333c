"""Shared machinery of DRBO's dynamic balancers (paper Algorithm 1, Eq. 4-7).

A variant overrides one method, :meth:`DynamicBalancer._raw_weights`; everything else lives
here: running averages, sampling counts, the every-``e`` schedule, the UCB bonus, and the
metric sampled each step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from common.mixers.base import Feedback, MixDecision, RewardMixer
from common.mixers.preset import preset_weights


class DynamicBalancer(RewardMixer):
    """Weights over N metrics, recomputed every ``every`` steps from standardized rewards.

    Per step ``t`` (1-based, the global optimizer step)::

        decide(t):  w = current weights (N,); j ~ Categorical(w) if sample_metric   (Alg. 1 l. 5)
        update(t):  running_j <- mean of metric j's scaled reward over steps 1..t (all j)
                    count_j   += 1 for the sampled j
                    if t % every == 0:
                        bonus_j = ucb_c * sqrt(2 ln t / count_j)       (0 when ucb is False)
                        w = normalize(_raw_weights(bonus, t))
                        running_at_last_recompute <- running

    Interpretation choices (the paper is ambiguous; the authors' code differs):
      - ``t`` in ``ln t`` is the global step of the update that triggers the recompute (not a
        per-metric or per-recompute counter), so the bonus uses the same clock as the
        schedule. At t = 1 the bonus is 0 (ln 1 = 0).
      - Counts start at 1 for every metric: one virtual pull, so ``2 ln t / count_j`` is
        finite before a metric is first sampled, and an unsampled metric gets the largest
        bonus (``sqrt(2 ln t)``) rather than an infinite one that would swamp the weights.
        With ``sample_metric=False`` no metric is singled out, so every metric is counted every
        step (each was observed); the bonus is then equal across metrics and shrinks like
        ``sqrt(2 ln t / (1 + t))``.
      - Running averages are per-metric cumulative means of the metric's mean scaled batch
        reward over the steps that observed it. "Scaled" is what the reward step feeds back:
        the standardized reward by default, the raw 0-1 score with ``balancer.statistic=raw``
        (:mod:`common.mixers.step`), for every variant alike. In single-task runs every metric scores every
        batch; in multi-type runs (Shopping MMLU) a batch holds the sampled metric's task only
        (or, with ``sample_metric=False``, the tasks drawn row by row from the weights:
        :func:`common.mixers.decision.rows_per_source`), so feedback may carry a subset of the
        metrics and only those are folded in.
      - Before the first recompute (steps 1..every) the weights are W normalized.
      - W is always normalized to sum 1 (uniform W = 1/N), also where it multiplies (delta).
      - The sampled metric is drawn from the weights in force at that step by a numpy
        Generator seeded with ``seed``; its bit-generator state is part of ``state_dict`` so a
        resumed run draws the same metrics.

    Args:
        names: reward names (N), in order.
        weights: preset W, mapping name -> float over exactly ``names``; None = uniform.
        every: ``e``, recompute period in steps (> 0).
        ucb: add the UCB bonus.
        ucb_c: multiplier on the bonus.
        seed: RNG seed for the sampled metric.
        sample_metric: sample a metric each step, return it as ``MixDecision.arm``, count it.
    """

    learns_from_sources = True

    def __init__(
        self,
        names: Sequence[str],
        weights: Mapping[str, float] | None = None,
        every: int = 10,
        ucb: bool = True,
        ucb_c: float = 1.0,
        seed: int = 0,
        sample_metric: bool = True,
    ) -> None:
        super().__init__(names)
        if int(every) != every or every <= 0:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        if not ucb_c >= 0:
            raise ValueError(f"ucb_c must be >= 0, got {ucb_c!r}")
        self.preset = preset_weights(self.names, weights)
        self.every = int(every)
        self.ucb = bool(ucb)
        self.ucb_c = float(ucb_c)
        self.sample_metric = bool(sample_metric)
        self.rng = np.random.default_rng(seed)
        self.weights = self.preset.copy()  # (N,) in force now
        self.running = np.zeros(self.n)  # (N,) cumulative mean scaled reward
        # 0 = the standardized mean of the untrained policy, the natural "before" value
        self.running_at_recompute = np.zeros(self.n)
        self.counts = np.ones(self.n)
        self.observed = np.zeros(self.n)  # (N,) updates folded into each ``running_j``

    def _raw_weights(self, bonus: np.ndarray, t: int) -> np.ndarray:
        """Unnormalized non-negative weights z (N,) at a recompute at step ``t``.

        ``bonus`` (N,) is the UCB term (zeros when ucb is off). The base class normalizes.
        """
        raise NotImplementedError

    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        arm = int(self.rng.choice(self.n, p=self.weights)) if self.sample_metric else None
        return MixDecision(weights=self.weights.copy(), arm=arm)

    def update(self, feedback: Feedback) -> None:
        unknown = sorted(set(feedback.source_rewards) - set(self.names))
        if unknown:
            raise KeyError(f"feedback has rewards for unknown metrics {unknown}")
        for j, m in enumerate(self.names):
            if m in feedback.source_rewards:
                self.observed[j] += 1
                r = float(feedback.source_rewards[m])
                self.running[j] += (r - self.running[j]) / self.observed[j]
        if not self.sample_metric:
            self.counts += 1
        elif feedback.arm is not None:
            self.counts[feedback.arm] += 1
        t = int(feedback.step)
        if t % self.every == 0:
            self.weights = self._normalize(self._raw_weights(self.bonus(t), t))
            self.running_at_recompute = self.running.copy()

    def bonus(self, t: int) -> np.ndarray:
        """UCB bonus (N,): ``ucb_c * sqrt(2 ln t / count_j)``; zeros when ucb is off."""
        if not self.ucb:
            return np.zeros(self.n)
        return self.ucb_c * np.sqrt(2.0 * math.log(max(t, 1)) / self.counts)

    @staticmethod
    def _normalize(z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        if not np.all(np.isfinite(z)) or np.any(z < 0) or z.sum() <= 0:
            raise FloatingPointError(f"balancer produced invalid raw weights {z.tolist()}")
        return z / z.sum()

    def state_dict(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "weights": self.weights.tolist(),
            "running": self.running.tolist(),
            "running_at_recompute": self.running_at_recompute.tolist(),
            "counts": self.counts.tolist(),
            "observed": self.observed.tolist(),
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if list(state["names"]) != self.names:
            raise ValueError(
                f"state is for rewards {state['names']}, this balancer has {self.names}"
            )
        self.weights = np.asarray(state["weights"], dtype=np.float64)
        self.running = np.asarray(state["running"], dtype=np.float64)
        self.running_at_recompute = np.asarray(state["running_at_recompute"], dtype=np.float64)
        self.counts = np.asarray(state["counts"], dtype=np.float64)
        self.observed = np.asarray(state["observed"], dtype=np.float64)
        self.rng.bit_generator.state = state["rng"]
