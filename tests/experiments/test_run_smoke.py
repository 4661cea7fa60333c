"""The entry point end to end on a tiny model: the run directory contract (sweeps: test_sweeps.py)."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(env: dict[str, str], *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """``python -m experiments.run ARGS`` in a child process with ``env`` (the ``child_env``
    fixture: no rendezvous variables, offline)."""
    return subprocess.run(
        [sys.executable, "-m", "experiments.run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_cfg_job_prints_the_composed_config(child_env):
    r = _run(child_env, "+exp=shopping_mmlu", "--cfg", "job")
    assert r.returncode == 0, r.stderr
    assert "exp_name: shopping_mmlu" in r.stdout and "rewards:" in r.stdout


def test_debug_run_writes_the_run_directory_contract(tmp_path, child_env):
    r = _run(child_env, "+exp=debug", f"hydra.run.dir={tmp_path}", "logger=wandb_offline")
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [1, 2]
    assert any(k.startswith("reward/") for k in rows[0]) and rows[0]["tokens_per_s"] > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["exp"] == "debug" and summary["seed"] == 0 and summary["steps"] == 2
    assert (
        summary["method"] == "drbo"
    )  # PolicyGradientLoop.method for trainer=remax: the label compare groups by
    for phase in ("before", "after"):
        scores = summary["eval"][phase]
        assert scores and all(0.0 <= v <= 1.0 for v in scores.values())
        # n and a 95 % bootstrap interval per metric, plus the mean over metrics
        ci = summary["eval_ci"][phase]
        assert set(ci) == set(scores) | {"avg"}
        for m, v in scores.items():
            assert ci[m]["value"] == v and ci[m]["lo"] <= v <= ci[m]["hi"] and ci[m]["n"] > 0
    diff = summary["eval_ci"]["difference"]
    assert set(diff) == set(summary["eval"]["after"]) | {"avg"}
    assert all(isinstance(d["within_noise"], bool) for d in diff.values())
    assert "| metric | n | before | after | delta |" in r.stdout and " ± " in r.stdout
    # the training reward's trend: 2 steps are too few for quarters, and it says so
    trend = summary["train_trend"]
    assert trend["key"] == "reward" and trend["steps"] == 2 and trend["verdict"] is None
    assert "training reward (reward): no trend" in r.stdout
    assert (tmp_path / ".hydra" / "config.yaml").exists()
    assert list((tmp_path / "wandb").glob("offline-run-*"))


def test_bad_value_fails_before_the_model_loads(tmp_path, child_env):
    r = _run(child_env, "+exp=debug", f"hydra.run.dir={tmp_path}", "trainer.batch_size=-2")
    assert r.returncode != 0
    assert "trainer.batch_size=-2" in r.stderr
    assert not (tmp_path / "metrics.jsonl").exists()


def test_two_processes_under_torchrun(tmp_path, child_env):
    """Data-parallel DRBO with gloo: one metrics file, one summary, a collective checkpoint."""
    env = {**child_env, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "-m",
            "experiments.run",
            "+exp=debug",
            f"hydra.run.dir={tmp_path}",
            "engine=zero2",
            "trainer.save_every=1",
            "trainer.steps=2",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [1, 2]
    assert json.loads((tmp_path / "summary.json").read_text())["steps"] == 2
    ckpt = tmp_path / "checkpoints" / "step-00000002"
    assert (ckpt / "MANIFEST.json").exists()
    # ZeRO-2 under two ranks writes one optimizer shard per rank
    assert len(list(ckpt.rglob("*optim_states.pt"))) == 2
