"""Where a run may stop outside a training step, and a run directory that vanished.

A stop signal (:mod:`common.rundir.preemption`) is caught for the whole run. Between steps the
loop checkpoints and exits as before; :class:`StopPoints` adds the other places: start-up
(the model was loading), "eval before" (cut between evaluation batches; nothing trained, so
nothing to save) and "eval after" (a checkpoint of the last step is written when there is
none, so ``resume=true`` goes straight to the final evaluation instead of retraining).
:meth:`StopPoints.check_run_dir` stops the run with ``RunDirLost`` when its folder was
deleted or replaced, or its lock removed, instead of writing on into a deleted folder.
"""

from __future__ import annotations

import logging

from common.rundir.distributed import all_gather_object
from common.rundir.run_lock import RunDirLost

log = logging.getLogger(__name__)


class StopPoints:
    """Mixed into :class:`common.training.loop.TrainingLoop`, whose ``stop_request``,
    ``run_dir_watch``, ``checkpoints``, ``last_step``, ``tracker`` and ``save_checkpoint`` it
    uses. ``_stopping``: every rank agreed to stop; ``_eval_cut``: that stop cut an
    evaluation short."""

    _stopping = False
    _eval_cut = False

    def _stop_requested_here(self) -> bool:
        """This process was asked to stop (not collective: for cutting an evaluation short)."""
        return self.stop_request is not None and self.stop_request.requested

    def _stop_agreed(self) -> bool:
        """Every rank agrees a stop was asked for (collective; stays true once true)."""
        if not self._stopping and self.stop_request is not None and self.stop_request.active:
            self._stopping = self.stop_request.agreed()
        return self._stopping

    def _has_checkpoint(self, step: int) -> bool:
        latest = self.checkpoints.latest()
        return latest is not None and int(self.checkpoints.read_state(latest)["step"]) == step

    def _stop_now(self, phase: str) -> None:
        """Stop outside a training step: checkpoint the last step when it has none, then exit
        like the signal (``Preempted``, 128 + signum). Before step 1 nothing is written."""
        step = self.last_step
        if step < 1:
            done = "nothing trained yet, nothing to checkpoint (a rerun starts with eval before)"
        elif self._has_checkpoint(step):
            done = f"the checkpoint of step {step} is the latest; resume=true continues there"
        elif self.checkpointable:
            self.save_checkpoint(step)
            done = f"checkpoint of step {step} written; resume=true continues with {phase}"
        else:
            done = f"{type(self).__name__} does not checkpoint: a rerun starts over"
        log.warning("stop requested during %s: %s", phase, done)
        self.tracker.finish()
        self.stop_request.hand_over()  # raises (or requeues through submitit)

    def check_run_dir(self, when: str) -> None:
        """Raise :class:`RunDirLost` on every rank when any rank finds the run directory
        deleted or replaced, or its lock gone (collective: all ranks stop together)."""
        problems = [p for p in all_gather_object(self.run_dir_watch.problem()) if p]
        if problems:
            raise RunDirLost(f"{problems[0]} (noticed {when})")
