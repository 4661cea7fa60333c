"""Watches a dynamic balancer's weights: logs their entropy, warns once when they collapse.

DRBO's ``delta`` (softmax at ``tau = 0.01 t``) and ``inverse`` modes turn a large gap between
the metrics' scaled rewards into weights that are one-hot: the other metrics then stop
counting for the rest of the run. That can be intended (a metric really lagging), but in
issue 19 it was an artefact: a metric with zero spread at fit time whose first success read
as a 50-sigma reward. The monitor makes either case visible.

Use (two lines in a trainer)::

    monitor = build_weight_monitor(cfg.balancer, reward_names)        # once
    figures.update(monitor.observe(step, decision.weights, scaled))   # every step

``observe`` returns ``{"weight_entropy": H}`` for metrics.jsonl, with
``H = -sum_j w_j ln w_j`` (nats; 0 = one-hot, ln N = uniform).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Balancers whose weights are meant to stay spread out (the others are one-hot by design,
#: e.g. ``single``, ``sequential``, the bandits, or fixed, e.g. ``static``, ``average``).
MONITORED = ("delta", "inverse")
#: Weights with a largest entry at least this are "effectively one-hot".
ONE_HOT = 0.99
#: Re-balances in a row with one-hot weights before the warning.
PATIENCE = 2


def weight_entropy(weights: np.ndarray) -> float:
    """Shannon entropy (nats) of a weight vector (N,): 0 when one-hot, ln N when uniform."""
    w = np.asarray(weights, dtype=np.float64)
    w = w[w > 0]
    return float(-(w * np.log(w)).sum()) if w.size else 0.0


class WeightMonitor:
    """Per step: the weights' entropy; once per run: a warning after ``patience`` re-balances
    in a row whose weights put at least ``one_hot`` on one metric.

    Re-balance periods are counted from the steps: the weights used at steps
    ``k*every + 1 .. (k+1)*every`` come from one recompute (DynamicBalancer's schedule). The
    warning names the dominant metric and the cause: the largest batch-mean scaled reward it
    had (and when), against the largest of the others.

    Args:
        names: reward names (N), in the weights' order.
        every: the balancer's recompute period in steps (> 0).
        one_hot: threshold on the largest weight, in (0, 1].
        patience: re-balances in a row (>= 1).
    """

    def __init__(
        self,
        names: Sequence[str],
        every: int,
        one_hot: float = ONE_HOT,
        patience: int = PATIENCE,
    ) -> None:
        if int(every) != every or every <= 0:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        if not 0 < one_hot <= 1:
            raise ValueError(f"one_hot must be in (0, 1], got {one_hot!r}")
        if int(patience) != patience or patience < 1:
            raise ValueError(f"patience must be a positive integer, got {patience!r}")
        self.names = list(names)
        self.every, self.one_hot, self.patience = int(every), float(one_hot), int(patience)
        self.peak: dict[str, tuple[float, int]] = {}  # metric -> (largest scaled mean, step)
        self.streak: list[int] = []  # periods in a row one-hot on the same metric
        self.dominant: int | None = None
        self.warned = False

    def observe(
        self, step: int, weights: np.ndarray, scaled: Mapping[str, float]
    ) -> dict[str, float]:
        """Fold in one step's weights (N,) and batch-mean scaled rewards {metric: value};
        return the figures to log."""
        w = np.asarray(weights, dtype=np.float64)
        for m, v in scaled.items():
            if m not in self.peak or abs(v) > abs(self.peak[m][0]):
                self.peak[m] = (float(v), int(step))
        period = (int(step) - 1) // self.every
        top = int(np.argmax(w))
        if w[top] < self.one_hot or period == 0:  # period 0: the preset weights
            self.streak, self.dominant = [], None
        elif top != self.dominant:
            self.streak, self.dominant = [period], top
        elif period not in self.streak:
            self.streak.append(period)
        if not self.warned and len(self.streak) >= self.patience:
            self.warned = True
            log.warning(self.message(step, w))
        return {"weight_entropy": weight_entropy(w)}

    def message(self, step: int, weights: np.ndarray) -> str:
        m = self.names[self.dominant]
        value, at = self.peak.get(m, (float("nan"), 0))
        others = [f"{o} {self.peak[o][0]:.3g}" for o in self.names if o != m and o in self.peak]
        return (
            f"step {step}: the balancer's weights have been one-hot on {m!r} "
            f"(w={weights[self.dominant]:.3f}) for {len(self.streak)} re-balances in a row; "
            f"the other metrics no longer count. Cause: its scaled reward, up to {value:.3g} at "
            f"step {at} (largest of the others: {', '.join(others) or 'none'}). A metric with "
            "zero spread at fit time (see the 'reward statistics' warning) or delta's "
            "temperature 0.01 t turns such a gap into one-hot weights; see README, DRBO "
            "implementation notes."
        )


class _NoMonitor:
    """For balancers that are one-hot or fixed by design: nothing to log or warn."""

    def observe(self, step: int, weights: np.ndarray, scaled: Mapping[str, float]) -> dict:
        return {}


def build_weight_monitor(
    balancer_cfg: Mapping[str, Any], names: Sequence[str]
) -> WeightMonitor | _NoMonitor:
    """A :class:`WeightMonitor` for the balancers in :data:`MONITORED`, a no-op otherwise."""
    if balancer_cfg.get("name") not in MONITORED:
        return _NoMonitor()
    return WeightMonitor(names, every=int(balancer_cfg.get("every", 10)))
