"""Atomic, verifiable, signed checkpoints under ``<run_dir>/checkpoints/step-XXXXXXXX``.

A checkpoint is written into a hidden temporary folder, closed with a manifest (every file's
size and SHA-256 digest, signed with this user's key: :mod:`common.rundir.checkpoint_signing`), and
renamed into place: a crash at any moment leaves either the previous checkpoint or the new one,
never a half-written folder that looks complete. On resume the newest folder whose files match
their manifest, byte for byte, is used; a corrupt or partial one is named in a warning and
skipped, and when checkpoints exist but none is intact :meth:`CheckpointManager.latest_intact`
raises :class:`NoIntactCheckpointError` listing each one and why (a silent fresh start would
overwrite the run's metrics). An intact checkpoint whose manifest is not signed with this
user's key raises :class:`~common.rundir.checkpoint_signing.CheckpointUntrusted` before anything
loads (DeepSpeed's shards are pickles), unless the manager was told to trust it.

The digests are computed when the folder is closed, right after the writers flushed the
files, so they are read back from the page cache, one thread per file (hashlib releases the
GIL). SHA-256 (~1.5 GB/s per core with the CPU's SHA instructions) because the signature
vouches for the digests: a non-cryptographic checksum such as XXH3-128 (~20 GB/s) detects
corruption, but a forger can choose bytes that match it. Manifests written by older versions
with XXH3 or BLAKE2b digests still verify (the manifest names each digest's algorithm;
``python -m bench.bench_checkpoint_digest`` prints the write and digest times).
A write that fails (a full disk) removes its temporary folder and raises
:class:`CheckpointWriteError` naming the step and the folder; a temporary folder left by a
killed process is removed by the next successful save.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common.rundir.checkpoint_signing import sign, untrusted_error, untrusted_reason
from common.rundir.distributed import barrier, is_main

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


_CHUNK = 1 << 22


def _hasher(algorithm: str):
    if algorithm == "xxh3_128":
        import xxhash

        return xxhash.xxh3_128()
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "blake2b":
        return hashlib.blake2b(digest_size=32)
    raise ValueError(f"unknown checkpoint digest algorithm {algorithm!r}")


# What new manifests use: cryptographic, as the signature over the manifest vouches for it.
DIGEST_ALGORITHM = "sha256"


def file_digest(path: Path, algorithm: str = DIGEST_ALGORITHM) -> str:
    """``<algorithm>:<hex>`` of a file's bytes, read in 4 MiB chunks."""
    h = _hasher(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return f"{algorithm}:{h.hexdigest()}"


def _digests(folder: Path, want: dict[str, str]) -> dict[str, str]:
    """``{name: file_digest(folder / name, want[name])}``, the files hashed in parallel."""
    if not want:
        return {}
    with ThreadPoolExecutor(max_workers=min(len(want), os.cpu_count() or 1, 8)) as pool:
        got = pool.map(lambda name: file_digest(folder / name, want[name]), want)
        return dict(zip(want, got, strict=True))


# (folder, newest file mtime) -> digest check result: run.py checks the checkpoint before the
# model loads and the loop picks it again; a multi-GB folder need not be hashed twice. Any
# write to a file after the check changes its mtime and so the key.
_VERIFIED: dict[tuple[str, int], str | None] = {}


class NoIntactCheckpointError(RuntimeError):
    """Checkpoints exist but every one failed verification; the message lists each folder
    and why. Resuming from nothing would restart at step 1 and overwrite the run's metrics."""


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
        trust_unsigned: resume from a checkpoint that is not signed with this user's key
            (``trust_checkpoint=true``: one the user vouches for, e.g. copied from another
            machine); by default such a checkpoint raises ``CheckpointUntrusted``.
    """

    def __init__(self, root: str | Path, keep: int = 2, trust_unsigned: bool = False) -> None:
        if keep < 1:
            raise ValueError(f"trainer.keep_checkpoints={keep} must be >= 1")
        self.root = Path(root)
        self.keep = keep
        self.trust_unsigned = trust_unsigned

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
        files = _files(tmp)
        digests = _digests(tmp, dict.fromkeys(files, DIGEST_ALGORITHM))
        manifest = sign({"step": step, "files": files, "digests": digests})
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
        """Folders whose manifest lists their files with the right sizes, oldest first (a
        cheap structural check used for pruning; :meth:`latest_intact` also checks digests)."""
        if not self.root.exists():
            return []
        good = []
        for d in sorted(self.root.glob("step-*")):
            reason = self.verify(d, digests=False)
            if reason is None:
                good.append(d)
            else:
                log.warning("skipping checkpoint %s: %s", d, reason)
        return good

    @staticmethod
    def verify(folder: Path, digests: bool = True) -> str | None:
        """None when ``folder`` is a complete checkpoint, else why not. With ``digests``
        every file's content is hashed and compared with the manifest's digest."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError) as err:
            return f"no readable manifest ({err.__class__.__name__})"
        actual = _files(folder)
        if actual != manifest.get("files"):
            return "files differ from the manifest (partial or corrupt write)"
        if digests:
            mtimes = [p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()]
            key = (str(folder), max(mtimes))
            if key not in _VERIFIED:
                _VERIFIED[key] = _digest_problem(folder, manifest.get("digests"))
            if _VERIFIED[key] is not None:
                return _VERIFIED[key]
        try:
            json.loads((folder / STATE).read_text())
        except (OSError, ValueError):
            return "unreadable trainer state"
        return None

    def latest(self) -> Path | None:
        """The newest intact checkpoint (digests checked), or None; corrupt ones are named
        in a warning and skipped."""
        intact, _ = self._newest_intact()
        return intact

    def check_trusted(self, folder: Path) -> None:
        """Raise ``CheckpointUntrusted`` unless ``folder`` is intact and its manifest is signed
        with this user's key (or the manager trusts unsigned checkpoints). Call it before
        anything in ``folder`` is unpickled."""
        reason = self.verify(folder)  # the digests: cached when already checked
        if reason is None:
            try:
                reason = untrusted_reason(json.loads((folder / MANIFEST).read_text()))
            except (OSError, ValueError) as err:
                reason = f"its manifest cannot be read ({err})"
        if reason is None:
            return
        if self.trust_unsigned:
            log.warning("trust_checkpoint=true: loading %s although %s", folder, reason)
            return
        raise untrusted_error(folder, reason)

    def latest_intact(self) -> Path | None:
        """Like :meth:`latest`, but checkpoints that all fail verification raise
        :class:`NoIntactCheckpointError` naming each one; None only when there are none; the
        one found must be signed with this user's key (:meth:`check_trusted`).

        Raises:
            CheckpointUntrusted: the newest intact checkpoint is not signed with this user's key.
        """
        intact, rejected = self._newest_intact()
        if intact is None and rejected:
            listing = "; ".join(f"{d.name}: {why}" for d, why in rejected)
            raise NoIntactCheckpointError(
                f"no intact checkpoint to resume from in {self.root} ({listing}); the run "
                "directory is left as it is: move the corrupt folders away to start over"
            )
        if intact is not None:
            self.check_trusted(intact)
        return intact

    def candidates(self) -> list[Path]:
        """Every published checkpoint folder, newest first (intact or not)."""
        if not self.root.exists():
            return []
        return sorted(self.root.glob("step-*"), reverse=True)

    def _newest_intact(self) -> tuple[Path | None, list[tuple[Path, str]]]:
        rejected = []
        for d in self.candidates():
            reason = self.verify(d)
            if reason is None:
                return d, rejected
            log.warning("checkpoint %s is not intact, trying an older one: %s", d, reason)
            rejected.append((d, reason))
        return None, rejected

    @staticmethod
    def read_state(folder: Path) -> dict[str, Any]:
        return json.loads((folder / STATE).read_text())


def _digest_problem(folder: Path, digests: dict[str, str] | None) -> str | None:
    """Why ``folder``'s files do not match their recorded digests (None when they do)."""
    if digests is None:
        # Written before manifests held digests: sizes are all that can be checked.
        log.warning("checkpoint %s has no content digests (an older format); sizes only", folder)
        return None
    algorithms = {name: want.partition(":")[0] for name, want in digests.items()}
    for name, algorithm in algorithms.items():
        try:
            _hasher(algorithm)
        except (ImportError, ValueError) as err:
            return f"{name}: its digest cannot be checked here ({err})"
    try:
        got = _digests(folder, algorithms)
    except OSError as err:
        return f"a file it lists cannot be read ({err})"
    for name, want in digests.items():
        if got[name] != want:
            return f"{name} does not match its digest (its bytes changed after the write)"
    return None
