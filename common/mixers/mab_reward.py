"""LASeR's MAB reward: the step's negative training loss, scaled to [0, 1] by quantiles."""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

NEUTRAL = 0.5  # the reward when the history cannot say whether a step was good or bad


class MABRewardScaler:
    """Turns each step's training loss into a bandit reward in [0, 1].

    With x = -loss appended to the history H (the last ``max_history`` values, or all)::

        r = clip((x - q_lo) / (q_hi - q_lo), 0, 1)      q_lo, q_hi = quantiles low_q, high_q of H

    so a step whose loss is lower than 80% of the recent ones earns 1, one higher than 80% of
    them earns 0 (defaults ``low_q=0.2``, ``high_q=0.8``).

    Interpretation choices:
      - The quantiles are taken over the history INCLUDING the current value: r at step t
        depends on x_1..x_t, the current x always lies inside the distribution it is scored
        against, and the first non-neutral reward comes after ``min_history`` steps (not one
        more). A record-low loss still scores 1 (x is the maximum, above q_hi).
      - Quantiles are numpy's default (linear interpolation between order statistics).
      - Fewer than ``min_history`` values (current included) -> 0.5, neutral: two or three
        losses say nothing about the spread. The value is still recorded.
      - q_hi == q_lo (e.g. all losses equal) -> 0.5: the scale is undefined.
      - A non-finite loss raises ValueError and is not recorded: a NaN loss is a training
        failure, not a bad arm, and it would poison every later quantile.

    Args:
        low_q: lower quantile, in [0, 1) and < high_q.
        high_q: upper quantile, in (0, 1].
        min_history: fewest values (>= 1) before rewards leave 0.5.
        max_history: sliding-window length (>= 2 and >= min_history); None = unbounded.
    """

    def __init__(
        self,
        low_q: float = 0.2,
        high_q: float = 0.8,
        min_history: int = 3,
        max_history: int | None = None,
    ) -> None:
        if not 0.0 <= low_q < high_q <= 1.0:
            raise ValueError(f"need 0 <= low_q < high_q <= 1, got low_q={low_q}, high_q={high_q}")
        if int(min_history) != min_history or min_history < 1:
            raise ValueError(f"min_history must be an integer >= 1, got {min_history!r}")
        if max_history is not None and (
            int(max_history) != max_history or max_history < max(2, min_history)
        ):
            raise ValueError(
                f"max_history must be None or an integer >= max(2, min_history={min_history}), "
                f"got {max_history!r}"
            )
        self.low_q = float(low_q)
        self.high_q = float(high_q)
        self.min_history = int(min_history)
        self.max_history = None if max_history is None else int(max_history)
        self.history: deque[float] = deque(maxlen=self.max_history)  # x = -loss, oldest first

    def __call__(self, loss: float) -> float:
        """Record ``-loss`` (a float or 0-d tensor) and return the MAB reward r in [0, 1]."""
        loss = float(loss)
        if not math.isfinite(loss):
            raise ValueError(f"training loss must be finite, got {loss}")
        x = -loss
        self.history.append(x)
        if len(self.history) < self.min_history:
            return NEUTRAL
        q_lo, q_hi = np.quantile(np.asarray(self.history), [self.low_q, self.high_q])
        if q_hi <= q_lo:  # equal quantiles; '<' cannot happen, guards float oddities
            return NEUTRAL
        return float(np.clip((x - q_lo) / (q_hi - q_lo), 0.0, 1.0))

    def state_dict(self) -> dict[str, Any]:
        return {"history": list(self.history)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        values = [float(v) for v in state["history"]]
        if not all(math.isfinite(v) for v in values):
            raise ValueError("MAB reward history has non-finite values")
        # a longer saved history is cut to this window's most recent values by the deque
        self.history = deque(values, maxlen=self.max_history)
