"""The phases of a training step, timed by name for the ``time/*`` figures.

    times = StepTimes()
    with times.timed("generate"):
        rollout = ...
    figures.update(self.rewards.time_figures(**times.seconds))   # time/generate_s, ...

A phase timed twice in one step (several updates on one rollout) adds up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class StepTimes:
    """Seconds per phase of one step; ``seconds`` maps ``<phase>_s`` to the total."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Add the wall time of the ``with`` block to ``seconds[f"{phase}_s"]``."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            key = f"{phase}_s"
            self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - t0

    def get(self, phase: str) -> float:
        """The seconds spent in ``phase`` so far (0.0 when never timed)."""
        return self.seconds.get(f"{phase}_s", 0.0)
