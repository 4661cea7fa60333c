"""Atomic, verifiable checkpoints under ``<run_dir>/checkpoints/step-XXXXXXXX``.

A checkpoint is written into a hidden temporary folder, closed with a manifest (every file's
size), and renamed into place: a crash at any moment leaves either the previous checkpoint
or the new one, never a half-written folder that looks complete. On resume the newest folder
whose manifest matches its files is used; a corrupt or partial one is skipped with a warning.
A write that fails (a full disk) removes its temporary folder and raises
:class:`CheckpointWriteError` naming the step and the folder; a temporary folder left by a
killed process is removed by the next successful save.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.distributed import barrier, is_main

log = logging.getLogger(__name__)

MANIFEST = "MANIFEST.json"
STATE = "trainer_state.json"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _files(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_size
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (full disk, quota, I/O error). The message names the
    step and the folder; ``errno`` is the original one where there was one (ENOSPC for a
    full disk); the previous checkpoint is untouched and still the latest."""


def _write_error(step: int, final: Path, err: Exception) -> CheckpointWriteError:
    """The error of a failed save, naming the step and where it was going."""
    msg = (
        f"the checkpoint of step {step} could not be written to {final}: "
        f"{type(err).__name__}: {err}; the previous checkpoint is intact"
    )
    code = getattr(err, "errno", None)
    return CheckpointWriteError(code, msg) if code else CheckpointWriteError(msg)


class CheckpointManager:
    """Writes and finds checkpoints of one run.

    Args:
        root: the ``checkpoints`` folder.
        keep: how many complete checkpoints to keep (older ones are deleted after a save).
    """

    def __init__(self, root: str | Path, keep: int = 2) -> None:
        if keep < 1:
            raise ValueError(f"trainer.keep_checkpoints={keep} must be >= 1")
        self.root = Path(root)
        self.keep = keep

    def save(self, step: int, write: Callable[[Path], None], state: dict[str, Any]) -> Path:
        """Write checkpoint ``step``: ``write(folder)`` stores model/optimizer files, ``state``
        (JSON-serializable) goes to trainer_state.json. Returns the final folder.

        Collective under several processes: every rank calls it and writes its own shards
        through ``write``; rank 0 alone prepares, closes and publishes the folder.
        """
        final = self.root / f"step-{step:08d}"
        tmp = self.root / f".tmp-step-{step:08d}"
        if is_main():
            self.root.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
        barrier()
        try:
            write(tmp)
            barrier()
            if is_main():
                self._close(step, tmp, state)
        except Exception as err:
            # Half a checkpoint on a full disk only eats the space the next try needs; the
            # previous complete checkpoint was never touched, so it stays the latest.
            if is_main():
                shutil.rmtree(tmp, ignore_errors=True)
            raise _write_error(step, final, err) from err
        if is_main():
            self._publish(tmp, final)
        barrier()
        return final

    @staticmethod
    def _close(step: int, tmp: Path, state: dict[str, Any]) -> None:
        """Write the trainer state and, last, the manifest that makes ``tmp`` complete."""
        (tmp / STATE).write_text(json.dumps({"step": step, **state}))
        manifest = {"step": step, "files": _files(tmp)}
        with open(tmp / MANIFEST, "w") as f:
            json.dump(manifest, f)
            f.flush()
            os.fsync(f.fileno())

    def _publish(self, tmp: Path, final: Path) -> None:
        """Rename the closed ``tmp`` into place, then prune old and stale folders."""
        if final.exists():  # a re-save of the same step (resumed run) replaces it
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync_dir(self.root)
        self._prune()

    def _prune(self) -> None:
        complete = self.complete()
        for old in complete[: -self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        for stale in self.root.glob(".tmp-step-*"):
            shutil.rmtree(stale, ignore_errors=True)

    def complete(self) -> list[Path]:
        """Folders whose manifest matches their files, oldest first."""
        if not self.root.exists():
            return []
        good = []
        for d in sorted(self.root.glob("step-*")):
            reason = self.verify(d)
            if reason is None:
                good.append(d)
            else:
                log.warning("skipping checkpoint %s: %s", d, reason)
        return good

    @staticmethod
    def verify(folder: Path) -> str | None:
        """None when ``folder`` is a complete checkpoint, else why not."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError) as err:
            return f"no readable manifest ({err.__class__.__name__})"
        actual = _files(folder)
        if actual != manifest.get("files"):
            return "files differ from the manifest (partial or corrupt write)"
        try:
            json.loads((folder / STATE).read_text())
        except (OSError, ValueError):
            return "unreadable trainer state"
        return None

    def latest(self) -> Path | None:
        """The newest complete checkpoint, or None."""
        complete = self.complete()
        return complete[-1] if complete else None

    @staticmethod
    def read_state(folder: Path) -> dict[str, Any]:
        return json.loads((folder / STATE).read_text())
