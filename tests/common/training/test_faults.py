"""Injected faults: a reward model that raises or returns NaN, and a process SIGKILLed mid
training. Each stops with a message naming the culprit and leaves the last good checkpoint
intact and resumable. (Checkpoint-write faults are in test_checkpoint.py, NaN losses next to
each trainer's tests.)"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from common.data.types import Example
from common.rewards.base import RewardOutput, Scorer
from common.rewards.registry import SCORERS
from common.rewards.reward_set import RewardScoringError, RewardSet

REPO = Path(__file__).resolve().parents[3]


@SCORERS.register("test_faulty_reward")
class FaultyReward(Scorer):
    """Scores 0.5 until its ``from_call``-th call, then fails as ``mode`` says: ``raise`` a
    RuntimeError, or return ``nan`` / ``inf`` for row ``bad_row``."""

    def __init__(self, mode: str = "raise", from_call: int = 1, bad_row: int = 0) -> None:
        self.mode, self.from_call, self.bad_row = mode, from_call, bad_row
        self.calls = 0

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        self.calls += 1
        scores = np.full(len(outputs), 0.5)
        if self.calls >= self.from_call:
            if self.mode == "raise":
                raise RuntimeError("reward model crashed (injected)")
            scores[self.bad_row] = float(self.mode)  # "nan" or "inf"
        return RewardOutput(self.name, scores, np.zeros(len(outputs), dtype=bool))


def _reward_set(**faulty: Any) -> RewardSet:
    return RewardSet(
        ["fmt", "bad"],
        routing="all",
        options={
            "fmt": {"scorer": "answer_format"},
            "bad": {"scorer": "test_faulty_reward", **faulty},
        },
    )


def _examples(n: int) -> list[Example]:
    return [
        Example(prompt=f"q{i}", gold=None, metric="x", meta={"source": "data.jsonl", "line": i + 1})
        for i in range(n)
    ]


@pytest.mark.parametrize("mode", ["nan", "inf"])
def test_a_non_finite_reward_stops_naming_the_source_and_the_example(mode):
    rs = _reward_set(mode=mode, bad_row=1)
    with pytest.raises(FloatingPointError) as err:
        rs.score(_examples(3), ["a", "b", "c"], step=7)
    msg = str(err.value)
    assert "step 7: reward 'bad' (scorer 'test_faulty_reward')" in msg
    assert f"returned {float(mode)} for example 1 of the batch (data.jsonl:2)" in msg


def test_a_raising_reward_model_is_named_with_the_batch_size_and_chained():
    rs = _reward_set(mode="raise")
    with pytest.raises(RewardScoringError) as err:
        rs.score(_examples(3), ["a", "b", "c"])
    assert str(err.value) == (
        "reward 'bad' (scorer 'test_faulty_reward') failed on a batch of 3 outputs: "
        "RuntimeError: reward model crashed (injected)"
    )
    assert isinstance(err.value.__cause__, RuntimeError)


def test_a_reward_model_that_cannot_be_built_is_named():
    rs = _reward_set(no_such_option=1)
    with pytest.raises(RewardScoringError, match=r"reward 'bad' .*could not be built: TypeError"):
        rs.score(_examples(1), ["a"])


def _files(folder: Path) -> dict[str, str]:
    """Relative path -> content hash of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    "mode, error, words",
    [
        ("raise", RewardScoringError, "failed on a batch of 8 outputs: RuntimeError"),
        ("nan", FloatingPointError, "returned nan for example 0"),
    ],
)
def test_a_failing_reward_model_stops_the_step_and_keeps_the_checkpoint(
    tmp_path, mode, error, words
):
    """LASeR (cheap arms, every arm scored each step) with an arm that fails from step 3:
    the step stops with the reward named, steps 1-2 are logged, checkpoint 2 is untouched."""
    from common.rundir.tracking import read_metrics
    from experiments.compose import compose_config
    from laser.trainer import LaserLoop

    cfg = compose_config(
        "+exp=laser_debug",
        "trainer.eval_before=false",
        "trainer.eval_after=false",
        "balancer=average",
        "rewards.names=[fmt,short,long,bad]",
        f"+rewards.options.bad={{scorer:test_faulty_reward,mode:'{mode}',from_call:3}}",
        "trainer.steps=4",
        "trainer.save_every=1",
    )
    loop = LaserLoop(cfg, tmp_path)
    original, seen = loop.train_step, {}

    def snapshot_before_step_3(step, batch):
        if step == 3:
            seen["checkpoints"] = _files(tmp_path / "checkpoints")
        return original(step, batch)

    loop.train_step = snapshot_before_step_3
    with pytest.raises(error) as err:
        loop.fit()
    loop.tracker.finish()
    assert "step 3: reward 'bad' (scorer 'test_faulty_reward')" in str(err.value)
    assert words in str(err.value)
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    assert all(r["parse_fail/bad"] == 0 and "parse_fail/fmt" in r for r in rows)
    assert _files(tmp_path / "checkpoints") == seen["checkpoints"]
    assert loop.checkpoints.latest().name == "step-00000002"


def _run_args(run_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "experiments.run",
        "+exp=debug",
        f"hydra.run.dir={run_dir}",
        "trainer.steps=4",
        "trainer.save_every=1",
        "trainer.eval_before=false",
        "trainer.eval_after=false",
        *extra,
    ]


def test_sigkill_mid_training_then_resume_completes_without_duplicate_steps(tmp_path, child_env):
    """SIGKILL (no handler, no last checkpoint) once step 2's checkpoint exists; the rerun
    with resume=true continues from the newest complete checkpoint and logs each step once."""
    run_dir = tmp_path / "run"
    log = (tmp_path / "first.log").open("w")  # a file, not a pipe nobody drains
    proc = subprocess.Popen(_run_args(run_dir), cwd=REPO, env=child_env, stdout=log, stderr=log)
    deadline = time.monotonic() + 300
    try:
        while not (run_dir / "checkpoints" / "step-00000002").exists():
            assert proc.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint of step 2 within 300 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        log.close()
    assert proc.returncode == -signal.SIGKILL

    done = subprocess.run(
        _run_args(run_dir, "resume=true"),
        cwd=REPO,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    from common.rundir.tracking import read_metrics

    assert [r["step"] for r in read_metrics(run_dir / "metrics.jsonl")] == [1, 2, 3, 4]
    assert (run_dir / "summary.json").exists()
