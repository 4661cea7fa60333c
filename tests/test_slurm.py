"""The sbatch wrappers parse and print the launch command they would run."""

import os
import subprocess
from pathlib import Path

SLURM = Path(__file__).resolve().parents[1] / "slurm"


def test_scripts_parse():
    for script in SLURM.glob("*.sbatch"):
        subprocess.run(["bash", "-n", str(script)], check=True)


def test_single_node_dry_run_prints_torchrun_command():
    env = {**os.environ, "DRY_RUN": "1", "SLURM_GPUS_ON_NODE": "4", "PY": "python"}
    out = subprocess.run(
        ["bash", str(SLURM / "single_node.sbatch"), "+exp=shopping_mmlu", "engine=zero3"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "torch.distributed.run" in out and "--nproc_per_node=4" in out
    assert "-m experiments.run +exp=shopping_mmlu engine=zero3" in out
