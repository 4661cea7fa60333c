"""torchrun, with a planned stop reported in one line (what slurm/launch.sh starts).

On preemption experiments.run finishes its step, writes a checkpoint and exits with
``128 + signum`` (143 for SIGTERM or a STOP file, 138 for SIGUSR1, 140 for SIGUSR2; see
common/rundir/preemption.py). torchrun counts any non-zero exit as a failure: it logs
``failed (exitcode: 143)`` and ends in a ``ChildFailedError`` traceback, which in a job log
reads like a crash on every planned requeue. This runs torchrun's own ``run`` on the same
arguments and, when every failed rank exited with a stop code (or was ended by torchrun's
SIGTERM to the others after the first one stopped), prints one line and exits with that code;
any other failure gets torchrun's usual report, traceback and exit code.

    python slurm/torchrun.py --standalone --nproc_per_node=2 -m experiments.run +exp=debug
"""

from __future__ import annotations

import logging
import signal
import sys

from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, record
from torch.distributed.run import parse_args, run

STOP_CODES = {128 + int(s) for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)}
# torchrun ends the other ranks with SIGTERM once one has exited; exit codes < 0 are signals.
ENDED_BY_TORCHRUN = -int(signal.SIGTERM)


def planned_stop(exit_codes: list[int]) -> int | None:
    """The stop code when these ranks' exits are a planned stop, else None."""
    stops = [c for c in exit_codes if c in STOP_CODES]
    if stops and all(c in STOP_CODES or c == ENDED_BY_TORCHRUN for c in exit_codes):
        return max(stops)
    return None


class _QuietPlannedStops(logging.Filter):
    """Drops torchrun's ``failed (exitcode: 143) ...`` record for a stop code (its first
    argument), so the planned stop is one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        code = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return not (record.msg.startswith("failed (exitcode") and code in STOP_CODES)


@record
def main(argv: list[str] | None = None) -> None:
    logging.getLogger("torch.distributed.elastic.multiprocessing.api").addFilter(
        _QuietPlannedStops()
    )
    args = parse_args(argv)
    try:
        run(args)
    except ChildFailedError as err:
        codes = [f.exitcode for f in err.failures.values()]
        code = planned_stop(codes)
        if code is None:
            raise
        name = signal.Signals(code - 128).name
        print(
            f"torchrun: planned stop: {err.name} exited {code} ({name}) after writing its "
            "checkpoint; a requeued job (or resume=true) continues from it",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(code)


if __name__ == "__main__":
    main()
