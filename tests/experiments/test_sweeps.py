"""A 2 x 2 sweep on a tiny model through each launcher, then the comparison table from it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.compare import main as compare_main

REPO = Path(__file__).resolve().parents[2]


def _multirun(env: dict[str, str], sweep_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**env, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.run",
            "--multirun",
            "+exp=debug",
            "balancer=average,inverse",
            "seed=0,1",
            f"hydra.sweep.dir={sweep_dir}",
            "trainer.steps=1",
            "dataset.max_eval=4",
            "trainer.standardize_k=8",
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.parametrize(
    "launcher",
    ["basic", "submitit_local"],
)
def test_two_by_two_sweep_then_comparison_table(tmp_path, launcher, child_env):
    sweep = tmp_path / "sweep"
    extra = [] if launcher == "basic" else [f"hydra/launcher={launcher}"]
    r = _multirun(child_env, sweep, *extra, "logger=wandb_offline")
    assert r.returncode == 0, r.stderr[-3000:]
    summaries = sorted(sweep.glob("*/summary.json"))
    assert len(summaries) == 4
    runs = [json.loads(p.read_text()) for p in summaries]
    assert sorted(s["seed"] for s in runs) == [0, 0, 1, 1]
    for p in summaries:  # provenance and a W&B run beside every row of the table
        info = json.loads((p.parent / "run_info.json").read_text())
        assert info["git"]["commit"] and info["seed"] in (0, 1)
        assert list((p.parent / "wandb").glob("offline-run-*"))
    if launcher == "submitit_local":
        assert list((sweep / ".submitit").iterdir())  # jobs went through submitit

    out = tmp_path / "compare"
    assert compare_main([str(sweep), "--out", str(out)]) == 0
    table = (out / "table.md").read_text()
    for label in ("zero-shot", "drbo/average", "drbo/inverse"):
        assert label in table
    results = json.loads((out / "results.json").read_text())
    assert len(results["runs"]) == 4
    assert (out / "table.csv").exists() and (out / "ttest.md").exists()
