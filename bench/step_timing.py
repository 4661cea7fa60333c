"""Where a training loop's step time goes, measured without editing the loop: per-step
timings recorded around its methods, and medians per part that add up to a step.

``StepRecorder`` instruments a ``PolicyGradientLoop`` or ``LaserLoop``; a bench maps each
recorded row to seconds per part, then ``summarize`` gives the medians and shares that
``print_breakdown`` prints and the result files hold (``step_s``, ``parts_s``, ``shares``,
``outside_model_share``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.harness import median


def wrap_timed(obj: Any, name: str, sink: list[float]) -> None:
    """Replace ``obj.name`` by a wrapper that appends each call's seconds to ``sink`` (an
    instance attribute shadows the method: the library is not touched)."""
    inner: Callable[..., Any] = getattr(obj, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            sink.append(time.perf_counter() - t0)

    setattr(obj, name, timed)


class StepRecorder:
    """Per-step timings of a training loop's ``fit`` without editing the loop.

    Wraps ``loop.next_batch``, ``loop.engine.backward``, ``loop.engine.step`` and
    ``loop.tracker.log``. A step ends when its row is logged and starts where the previous
    one ended (the first at its ``next_batch``), so everything the loop does between rows
    (progress bar, stop-request collective, checkpoint hooks) lands in some step. ``rows``
    then holds, per step: ``wall``, ``backward``, ``optimizer_call`` (engine.step),
    ``logging`` (tracker.log) and ``figures`` (what the loop logged).
    """

    def __init__(self, loop: Any) -> None:
        self.rows: list[dict[str, Any]] = []
        self._backward: list[float] = []
        self._step: list[float] = []
        self._start = time.perf_counter()
        wrap_timed(loop.engine, "backward", self._backward)
        wrap_timed(loop.engine, "step", self._step)
        next_batch = loop.next_batch
        log = loop.tracker.log

        def starting(step: int) -> Any:
            if not self.rows:
                self._start = time.perf_counter()
            return next_batch(step)

        def logging(step: int, metrics: dict[str, Any]) -> None:
            t0 = time.perf_counter()
            log(step, metrics)
            t1 = time.perf_counter()
            self.rows.append(
                {
                    "step": step,
                    "wall": t1 - self._start,
                    "logging": t1 - t0,
                    "backward": sum(self._backward),
                    "optimizer_call": sum(self._step),
                    "figures": dict(metrics),
                }
            )
            self._backward.clear()
            self._step.clear()
            self._start = time.perf_counter()

        loop.next_batch = starting
        loop.tracker.log = logging


def summarize(
    per_step: list[dict[str, float]], parts: Sequence[str], outside: Sequence[str]
) -> dict[str, Any]:
    """Median seconds per part over steps; step = sum of the medians; shares of it."""
    med = {p: median([s[p] for s in per_step]) for p in parts}
    step_s = sum(med.values()) or 1e-12
    return {
        "step_s": round(step_s, 4),
        "parts_s": {p: round(v, 4) for p, v in med.items()},
        "shares": {p: round(v / step_s, 4) for p, v in med.items()},
        "outside_model_share": round(sum(med[p] for p in outside) / step_s, 4),
    }


def print_breakdown(title: str, res: dict[str, Any], parts: Sequence[str]) -> None:
    print(title)
    print(f"{'part':<12}{'seconds':>10}{'share':>9}")
    for p in parts:
        print(f"{p:<12}{res['parts_s'][p]:>10.3f}{100 * res['shares'][p]:>8.1f}%")
    print(f"{'step':<12}{res['step_s']:>10.3f}   ({1 / res['step_s']:.3f} steps/s)")
