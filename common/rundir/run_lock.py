"""One run per run directory: a lock file holding the owner's host and pid.

Two processes writing one run directory interleave metrics.jsonl and overwrite each other's
checkpoints. :class:`RunLock` creates ``<run_dir>/.run.lock`` atomically (``O_EXCL``); a second
run into the directory stops at once naming the owner. A lock left by a process that died
without releasing it (SIGKILL, OOM) is taken over when its owner ran on this host and its pid
is gone (or now belongs to a process started after the lock was written), or when it was
written by an earlier start of this same SLURM job (a requeued job may land on another node;
SLURM never runs two instances of one job id). A lock from another host cannot be checked
from here and is refused with the path to remove.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCK_FILE = ".run.lock"


class RunDirLockedError(RuntimeError):
    """Another live process holds the run directory; the message names it."""


class RunDirLost(RuntimeError):
    """The run directory was deleted or replaced mid-run, or this run's lock vanished or was
    replaced; the message names the folder (or lock) and what is lost or kept."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _start_time(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), from /proc; None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
        btime = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime")
        )
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _started_after(pid: int, when: float) -> bool:
    """Whether process ``pid`` started after ``when`` (epoch seconds): then the pid was
    reused and the lock's owner is gone. False when it cannot be told."""
    start = _start_time(pid)
    return start is not None and start > when + 2.0


class RunLock:
    """Context manager holding ``<run_dir>/.run.lock`` for the life of a run."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self.held = False

    def _owner(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # written half by a killed process: no owner to respect

    def _stale(self, owner: dict[str, Any]) -> bool:
        if not owner:
            return True
        job = os.environ.get("SLURM_JOB_ID")
        if job and owner.get("slurm_job") == job:
            return True  # our own job's previous start, requeued: that instance is gone
        if owner.get("host") != socket.gethostname():
            return False
        pid = int(owner.get("pid", -1))
        return not _alive(pid) or _started_after(pid, float(owner.get("time", 0)))

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "time": time.time(),
            "slurm_job": os.environ.get("SLURM_JOB_ID"),
        }
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is None:
                    continue  # released between our two calls: try again
                if not self._stale(owner):
                    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(owner["time"]))
                    raise RunDirLockedError(
                        f"run directory {self.path.parent} is in use by pid {owner['pid']} on "
                        f"host {owner['host']} (since {since}; lock file {self.path}). Wait for "
                        "that run to end or choose another directory; if that process is gone "
                        f"(another host cannot be checked from here), remove {self.path}."
                    ) from None
                log.warning(
                    "taking over the stale lock %s of pid %s on %s (that process is gone)",
                    self.path,
                    owner.get("pid"),
                    owner.get("host"),
                )
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self.held = True
            return
        raise RunDirLockedError(f"could not take the lock {self.path} (contended); try again")

    def release(self) -> None:
        if self.held:
            owner = self._owner()
            if owner and owner.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _identity(path: Path) -> tuple[int, int] | None:
    """``(device, inode)`` of ``path``; None when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


class RunDirWatch:
    """Remembers the run directory's device and inode and, when present, its lock file's
    content (owner pid, host, time); :meth:`problem` says what changed since. An ``os.stat``
    and a read of a few bytes, cheap enough per step.

    The lock is watched only when this process held it at construction (``experiments.run``
    on rank 0; a loop built by a test or script has none). A freed inode is often reused at
    once, so a folder deleted and recreated under the same name may keep its inode: the lock
    (gone with the old folder) is what tells them apart under ``experiments.run``.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.lock = self.run_dir / LOCK_FILE
        self._dir = _identity(self.run_dir)
        self._lock = self._own_lock_record()

    def _lock_record(self) -> bytes | None:
        try:
            return self.lock.read_bytes()
        except FileNotFoundError:
            return None

    def _own_lock_record(self) -> bytes | None:
        """The lock's bytes when this process holds it (under several processes, rank 0),
        else None: another rank could read it half-written, another owner is not ours."""
        record = self._lock_record()
        try:
            owner = json.loads(record) if record else None
        except ValueError:
            return None
        return record if isinstance(owner, dict) and owner.get("pid") == os.getpid() else None

    def problem(self) -> str | None:
        """None while the folder and lock are the ones the run started with, else why not."""
        if self._dir is not None:
            now = _identity(self.run_dir)
            if now != self._dir:
                how = (
                    "deleted"
                    if now is None
                    else "replaced by another folder (deleted and recreated, or moved)"
                )
                return (
                    f"run directory {self.run_dir} was {how} while the run was writing to it: "
                    "its metrics.jsonl, run_info.json, .hydra/ config, run.log, checkpoints and "
                    "plots went with it. Stopped instead of writing on into a deleted folder; "
                    "start a new run (or put the folder back and resume with resume=true)"
                )
        if self._lock is not None and self._lock_record() != self._lock:
            return (
                f"the lock {self.lock} of this run was removed or replaced while the run was "
                f"writing to {self.run_dir}: another run may now write there too. Stopped so the "
                "two do not interleave; the directory's files are kept. Once no other run uses "
                "it, continue with resume=true"
            )
        return None

    def check(self) -> None:
        """Raise :class:`RunDirLost` naming the folder or lock when :meth:`problem` finds one."""
        why = self.problem()
        if why is not None:
            raise RunDirLost(why)
