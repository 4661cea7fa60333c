"""Graceful stop on preemption: finish the step, checkpoint, hand over to the requeue.

SLURM warns a job before it ends it (``--signal``; SIGTERM at the time limit or on
preemption), and submitit uses SIGUSR2 to checkpoint and requeue its jobs. Killing the
training in the middle of a step would lose everything since the last periodic checkpoint,
so the loop instead registers :class:`StopRequest`: a signal only sets a flag; the loop
notices it after the current step, writes a checkpoint, and then ends the process the way the
signal would have — by calling the handler that was installed before (submitit's requeue) or
by exiting with ``128 + signum``. A ``STOP`` file in the run directory asks for the same
thing without a signal (a shell trap or a person can ``touch`` it).

Ctrl-C (SIGINT) is one of the default stop signals: the first one stops after the step with
a checkpoint and exit code 130; a second one, while that step is still running, aborts at
once with ``KeyboardInterrupt`` (no checkpoint: the previous one stays the latest).

The request covers the whole run, not only the training steps: ``experiments.run`` enters it
before the model loads, and the loop acts on a stop at each phase's end — before training
(nothing to save), during "eval before" (the evaluation stops between batches; nothing
trained yet), between steps, and during "eval after" (a checkpoint of the last step is
written, so ``resume=true`` goes straight to the final evaluation).

Under several processes every rank must stop at the same step (the checkpoint is a
collective), so :meth:`StopRequest.agreed` gathers the flag: one rank asked, all stop.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from common.rundir.distributed import all_gather_object

log = logging.getLogger(__name__)

DEFAULT_SIGNALS = ("SIGTERM", "SIGINT", "SIGUSR1", "SIGUSR2")
STOP_FILE = "STOP"


def signal_number(name: str) -> int:
    """``"SIGTERM"`` or ``"TERM"`` -> its number; a clear error for an unknown name."""
    full = name if name.startswith("SIG") else f"SIG{name}"
    num = getattr(signal, full, None)
    if not isinstance(num, signal.Signals):
        allowed = ", ".join(DEFAULT_SIGNALS)
        raise ValueError(f"stop_signals: unknown signal {name!r}; e.g. {allowed}")
    return int(num)


def requeued() -> bool:
    """Whether this process is a requeued SLURM job (preempted or timed out before), which
    must continue from its checkpoint whatever ``resume`` says."""
    return int(os.environ.get("SLURM_RESTART_COUNT", "0") or 0) > 0


class Preempted(SystemExit):
    """Raised after the stop checkpoint when no earlier handler takes over; exits with
    ``128 + signum`` like a process the signal had killed."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


class StopRequest:
    """Context manager that turns stop signals into a flag the training loop polls.

    Args:
        signals: signal names to catch (default SIGTERM, SIGINT, SIGUSR1, SIGUSR2).
        stop_file: a path whose existence also requests a stop (None: signals only).
    """

    def __init__(
        self, signals: Sequence[str] = DEFAULT_SIGNALS, stop_file: str | Path | None = None
    ) -> None:
        self.signums = [signal_number(s) for s in signals]
        self.stop_file = Path(stop_file) if stop_file is not None else None
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}
        self.active = False  # between __enter__ and __exit__ (or hand_over)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # Only record: the step in flight finishes, then the loop checkpoints.
        if self.signum is not None and signum == signal.SIGINT:
            # A second Ctrl-C means "now": give up the stop checkpoint.
            raise KeyboardInterrupt("second Ctrl-C: aborted without a stop checkpoint")
        if self.signum is None:
            log.warning(
                "caught %s: stopping after this step with a checkpoint (in an evaluation: "
                "after its current batch)",
                signal.Signals(signum).name,
            )
        self.signum = signum

    def __enter__(self) -> StopRequest:
        # Handlers can only be installed from the main thread (tests may run loops elsewhere).
        if threading.current_thread() is threading.main_thread():
            for s in self.signums:
                if s == signal.SIGINT and signal.getsignal(s) is signal.SIG_IGN:
                    continue  # a background job (`cmd &`, nohup) keeps ignoring Ctrl-C
                self._previous[s] = signal.signal(s, self._handle)
        self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        self._previous.clear()
        self.active = False

    def dismiss(self) -> None:
        """A stop asked for after the run's work was done: the run finishes normally (exit 0)
        and the stop file goes, so a later resume of this directory does not stop at once."""
        if self.requested:
            log.warning("stop requested after the final evaluation: the run is finishing")
            if self.stop_file is not None:
                self.stop_file.unlink(missing_ok=True)

    @property
    def requested(self) -> bool:
        """This process was signalled or the stop file exists."""
        return self.signum is not None or (self.stop_file is not None and self.stop_file.exists())

    def agreed(self) -> bool:
        """True on every rank when any rank was asked to stop (a collective call)."""
        return any(all_gather_object(self.requested))

    def hand_over(self) -> None:
        """After the stop checkpoint: give the signal to whoever handled it before us (e.g.
        submitit, which requeues the job), else exit with ``128 + signum``. A stop asked for
        through the stop file removes the file (so a resumed run does not stop at once) and
        exits like SIGTERM, with 143."""
        signum = self.signum if self.signum is not None else int(signal.SIGTERM)
        if self.signum is None and self.stop_file is not None:
            self.stop_file.unlink(missing_ok=True)
        previous = self._previous.get(signum)
        self.__exit__()
        # SIG_DFL / SIG_IGN are not callable; Python's own SIGINT handler would only raise
        # KeyboardInterrupt (a traceback and exit 1) instead of exiting 130 after the checkpoint.
        if callable(previous) and previous is not signal.default_int_handler:
            previous(signum, None)
        sys.stdout.flush()
        raise Preempted(signum)
