"""The entry point's run-directory guards end to end: one run per directory, and a resume
that drifts from its checkpoint is refused before any model loads, the run keeping its
labels (Hydra rewrote .hydra/ for the refused launch; the checkpoint's copy is put back)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN = (
    "+exp=debug",
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.export_final=false",
    "trainer.save_every=1",
)


def _run(env: dict[str, str], run_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "experiments.run", *RUN, f"hydra.run.dir={run_dir}", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_second_run_into_a_busy_directory_stops_at_once(tmp_path, child_env):
    from common.rundir.run_lock import LOCK_FILE, RunLock

    with RunLock(tmp_path):  # this test process is the live owner
        start = time.monotonic()
        r = _run(child_env, tmp_path, "trainer.steps=1")
        took = time.monotonic() - start
    assert r.returncode != 0
    assert f"run directory {tmp_path} is in use by pid {os.getpid()}" in r.stderr
    assert not (tmp_path / "metrics.jsonl").exists() and not (tmp_path / "run_info.json").exists()
    assert not (tmp_path / LOCK_FILE).exists()  # ours, released; theirs never taken
    assert took < 120  # before any model loads (the debug run itself takes longer)


@pytest.mark.slow
def test_resume_refuses_drift_and_low_steps_keeping_the_runs_labels_then_continues(
    tmp_path, child_env
):
    first = _run(child_env, tmp_path, "trainer.steps=2")
    assert first.returncode == 0, first.stderr[-3000:]
    config = (tmp_path / ".hydra" / "config.yaml").read_text()
    run_info = (tmp_path / "run_info.json").read_text()
    metrics = (tmp_path / "metrics.jsonl").read_text()

    drift = _run(
        child_env, tmp_path, "trainer.steps=3", "resume=true", "balancer=average", "seed=5"
    )
    assert drift.returncode != 0
    assert "balancer.name: 'inverse' (checkpoint) -> 'average' (this run)" in drift.stderr
    assert "seed: 0 (checkpoint) -> 5 (this run)" in drift.stderr
    low = _run(child_env, tmp_path, "trainer.steps=1", "resume=true")
    assert low.returncode != 0 and "trainer.steps=1 is below" in low.stderr
    # nothing of the run changed: labels, provenance, metrics, checkpoints
    assert (tmp_path / ".hydra" / "config.yaml").read_text() == config
    assert (tmp_path / "run_info.json").read_text() == run_info
    assert (tmp_path / "metrics.jsonl").read_text() == metrics

    more = _run(child_env, tmp_path, "trainer.steps=3", "resume=must")
    assert more.returncode == 0, more.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert json.loads((tmp_path / "summary.json").read_text())["steps"] == 3
