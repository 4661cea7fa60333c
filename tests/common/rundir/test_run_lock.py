"""One run per run directory: a live owner is refused by name, a dead one's lock taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from common.rundir.run_lock import LOCK_FILE, RunDirLockedError, RunLock


def _lock_of(run_dir, pid, host=None, when=None):
    record = {"host": host or socket.gethostname(), "pid": pid, "time": when or time.time()}
    (run_dir / LOCK_FILE).write_text(json.dumps(record))


def test_the_lock_holds_host_and_pid_and_is_released(tmp_path):
    with RunLock(tmp_path):
        owner = json.loads((tmp_path / LOCK_FILE).read_text())
        assert owner["host"] == socket.gethostname() and owner["pid"] == os.getpid()
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_second_run_into_a_live_runs_directory_stops_naming_the_owner(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _lock_of(tmp_path, sleeper.pid)
        with pytest.raises(RunDirLockedError) as err:
            RunLock(tmp_path).acquire()
        msg = str(err.value)
        assert f"run directory {tmp_path} is in use by pid {sleeper.pid}" in msg
        assert socket.gethostname() in msg and str(tmp_path / LOCK_FILE) in msg
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == sleeper.pid  # untouched
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_dead_processs_lock_on_this_host_is_taken_over(tmp_path, caplog):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _lock_of(tmp_path, dead.pid)
    with caplog.at_level("WARNING"), RunLock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert f"taking over the stale lock {tmp_path / LOCK_FILE} of pid {dead.pid}" in caplog.text


def test_a_reused_pid_does_not_keep_a_stale_lock(tmp_path):
    # Our own pid, but a lock written before this process started: the owner is gone.
    _lock_of(tmp_path, os.getpid(), when=time.time() - 10 * 24 * 3600)
    with RunLock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["time"] > time.time() - 60


def test_a_lock_from_another_host_is_refused_not_guessed(tmp_path):
    _lock_of(tmp_path, 1, host="node-that-is-not-this-one")
    with pytest.raises(RunDirLockedError, match="another host cannot be checked"):
        RunLock(tmp_path).acquire()


def test_a_requeued_slurm_job_takes_over_its_own_lock_from_another_node(tmp_path, monkeypatch):
    record = {"host": "node-a", "pid": 1, "time": time.time(), "slurm_job": "4242"}
    (tmp_path / LOCK_FILE).write_text(json.dumps(record))
    monkeypatch.setenv("SLURM_JOB_ID", "4243")  # another job: refused
    with pytest.raises(RunDirLockedError):
        RunLock(tmp_path).acquire()
    monkeypatch.setenv("SLURM_JOB_ID", "4242")  # the same job, requeued onto this node
    with RunLock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["slurm_job"] == "4242"


def test_a_half_written_lock_file_is_taken_over(tmp_path):
    (tmp_path / LOCK_FILE).write_text('{"host": "x", "pi')
    with RunLock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


# ---- RunDirWatch: a run directory deleted, replaced or unlocked mid-run ----------------------
def test_the_watch_names_a_deleted_or_replaced_run_directory(tmp_path):
    import shutil

    from common.rundir.run_lock import RunDirLost, RunDirWatch

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    watch = RunDirWatch(run_dir)
    assert watch.problem() is None
    shutil.rmtree(run_dir)
    with pytest.raises(RunDirLost, match=f"run directory {run_dir} was deleted"):
        watch.check()
    run_dir.mkdir()
    watch = RunDirWatch(run_dir)
    run_dir.rename(tmp_path / "moved")  # moved away, another folder under the same name
    run_dir.mkdir()
    assert "was replaced by another folder" in watch.problem()


def test_the_watch_names_a_removed_or_replaced_lock(tmp_path):
    from common.rundir.run_lock import RunDirWatch

    with RunLock(tmp_path):
        watch = RunDirWatch(tmp_path)
        assert watch.problem() is None
        (tmp_path / LOCK_FILE).unlink()
        assert f"the lock {tmp_path / LOCK_FILE} of this run was removed" in watch.problem()
        _lock_of(tmp_path, 999_999)  # another run's lock under the same name
        assert "another run may now write there" in watch.problem()
    assert RunDirWatch(tmp_path / "never-made").problem() is None  # nothing to watch
    _lock_of(tmp_path, 999_999)
    others = RunDirWatch(tmp_path)  # a lock this process does not hold is not its to watch
    (tmp_path / LOCK_FILE).unlink()
    assert others.problem() is None
