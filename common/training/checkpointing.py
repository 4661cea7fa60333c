"""A loop's checkpoints: what it writes at a step, and the resume that restores the newest
intact, trusted one (falling back to an older one when a file fails to load).

:class:`Checkpointing` is mixed into :class:`common.training.loop.TrainingLoop`, whose ``cfg``,
``run_dir``, ``checkpoints`` (:class:`common.rundir.checkpoint.CheckpointManager`),
``_resume_from``, ``eval_before`` and ``eval_before_rows`` it uses. A method with state
overrides the hooks ``write_model_state`` / ``load_model_state`` and ``extra_state`` /
``load_extra_state``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from common.evaluation.stats import outputs_from_json, outputs_to_json
from common.rundir.checkpoint import NoIntactCheckpointError
from common.rundir.checkpoint_signing import CheckpointUntrusted
from common.rundir.distributed import is_main
from common.rundir.resume import check_compatible, copy_hydra_files, resolved_config
from common.rundir.tracking import keep_rows_up_to

log = logging.getLogger(__name__)


class Checkpointing:
    """Writing and restoring a loop's checkpoints (module docstring)."""

    # ---- checkpoints (methods with state override the three hooks) ---------------------
    @property
    def checkpointable(self) -> bool:
        """Whether this loop overrides :meth:`write_model_state`."""
        return type(self).write_model_state is not Checkpointing.write_model_state

    def write_model_state(self, folder: Path) -> None:
        """Store model/optimizer/scheduler files in ``folder``."""
        raise NotImplementedError(f"{type(self).__name__} does not checkpoint")

    def load_model_state(self, folder: Path) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not checkpoint")

    def extra_state(self) -> dict[str, Any]:
        """JSON-serializable method state (mixer, standardizer, RNG)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`extra_state` returned."""

    def save_checkpoint(self, step: int) -> Path:
        state = {
            "eval_before": self.eval_before,
            "eval_before_rows": outputs_to_json(self.eval_before_rows),
            "config": resolved_config(self.cfg),  # a resume with another config is refused
            **self.extra_state(),
        }

        def write(folder: Path) -> None:
            self.write_model_state(folder)
            if is_main():
                copy_hydra_files(self.run_dir, folder)

        return self.checkpoints.save(step, write, state)

    def _resume_step(self) -> int:
        return int(self.checkpoints.read_state(self._resume_from)["step"])

    def resume(self) -> None:
        """Restore the newest intact checkpoint that ``plan_resume`` chose. One that fails to
        load (an unpicklable file that still matched its digest, e.g. written by a bad disk
        before the digest) is named and the next older intact one is tried. One not signed with
        this user's key, or holding pickles of an older version, raises ``CheckpointUntrusted``
        before anything in it loads."""
        while self._resume_from is not None:
            folder = self._resume_from
            # Here, right before the load, whatever chose the folder: its shards unpickle.
            self.checkpoints.check_trusted(folder)
            state = self.checkpoints.read_state(folder)
            try:
                self.load_model_state(folder)
                break
            except CheckpointUntrusted:
                raise  # a refusal, not a damaged file: an older checkpoint is no answer
            except Exception as err:  # UnpicklingError, EOFError, RuntimeError from torch.load
                log.error(
                    "checkpoint %s cannot be loaded (%s: %s)", folder, type(err).__name__, err
                )
                self._resume_from = self._older_intact(folder, err)
                if is_main():
                    keep_rows_up_to(self.run_dir / "metrics.jsonl", self._resume_step())
        else:
            return
        self.load_extra_state(state)
        self.eval_before = state.get("eval_before")
        self.eval_before_rows = outputs_from_json(state.get("eval_before_rows"))
        self.start_step = int(state["step"]) + 1
        self.last_step = int(state["step"])  # a resume with no step left reports this one
        log.info("resumed from %s (step %d)", folder, state["step"])

    def _older_intact(self, failed: Path, err: Exception) -> Path:
        """The newest intact checkpoint older than ``failed`` that this run may resume from."""
        for d in self.checkpoints.candidates():
            if d.name < failed.name and self.checkpoints.verify(d) is None:
                self.checkpoints.check_trusted(d)
                check_compatible(self.cfg, d, self.checkpoints.read_state(d))
                log.warning("falling back to checkpoint %s", d)
                return d
        raise NoIntactCheckpointError(
            f"checkpoint {failed} cannot be loaded ({type(err).__name__}: {err}) and no older "
            f"intact checkpoint is left in {self.checkpoints.root}; the run directory is left "
            "as it is"
        ) from err
