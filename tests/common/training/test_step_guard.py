"""A non-finite loss stops every rank with the same named error before the backward
(common.training.step_guard): in one process, and with two gloo ranks where only rank 1's
loss is NaN (issue 28, part 5: before, the other rank waited in the gradient all-reduce)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from common.training.step_guard import (
    NO_LOSS,
    NON_FINITE,
    OK,
    NonFiniteLossError,
    agree_on_loss,
    loss_status,
)
from common.training.timing import StepTimes

REPO = Path(__file__).resolve().parents[3]
WORKER = Path(__file__).with_name("nan_rank_worker.py")


def test_statuses_and_a_single_process_agreement():
    assert loss_status(None) == NO_LOSS
    assert loss_status(torch.tensor(1.0)) == OK
    assert loss_status(torch.tensor(float("inf"))) == NON_FINITE
    assert agree_on_loss(torch.tensor(0.5), step=3) == [OK]
    with pytest.raises(NonFiniteLossError, match=r"^step 7: loss is nan on rank 0 \(x\)") as e:
        agree_on_loss(torch.tensor(float("nan")), step=7, detail="x")
    assert (e.value.step, e.value.rank, math.isnan(e.value.value)) == (7, 0, True)
    assert isinstance(e.value, FloatingPointError)  # what callers caught before


def test_timed_adds_up_the_phases():
    times = StepTimes()
    for _ in range(2):
        with times.timed("fwd_bwd"):
            pass
    with pytest.raises(RuntimeError), times.timed("optimizer"):
        raise RuntimeError  # a phase that raised still counts
    assert set(times.seconds) == {"fwd_bwd_s", "optimizer_s"}
    assert times.get("fwd_bwd") >= 0.0 and times.get("generate") == 0.0


FAST = (
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.export_final=false",
    "trainer.save_every=0",
    "trainer.steps=2",
)
TRAINERS = {
    "remax": ("+exp=debug", "trainer.standardize_k=4"),
    "grpo": ("+exp=debug", "trainer=grpo", "trainer.standardize_k=4", "trainer.n_samples=2"),
    "rloo": ("+exp=debug", "trainer=rloo", "trainer.standardize_k=4", "trainer.n_samples=2"),
    "laser_dpo": ("+exp=laser_debug", "trainer.n_samples=2", "trainer.pairs_per_prompt=1"),
}


@pytest.mark.slow
@pytest.mark.parametrize("trainer", list(TRAINERS))
def test_a_nan_loss_on_one_rank_stops_both_with_the_same_error(tmp_path, trainer, child_env):
    env = {**child_env, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "NAN_LOSS_ON_RANK": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    r = subprocess.run(
        [*cmd, str(WORKER), str(tmp_path), *TRAINERS[trainer], *FAST],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a rank left waiting in a collective would hang: fail instead
    )
    assert r.returncode == 0, r.stderr[-4000:]
    ranks = [json.loads((tmp_path / f"rank{i}.json").read_text()) for i in (0, 1)]
    errors = [rec["error"] for rec in ranks]
    assert all(e is not None and e["type"] == "NonFiniteLossError" for e in errors), errors
    assert [(e["step"], e["rank"]) for e in errors] == [(1, 1), (1, 1)]
    assert errors[1]["message"].startswith("step 1: loss is nan on rank 1")
    assert [rec["optimizer_steps"] for rec in ranks] == [0, 0]  # stopped before any update
