"""The `slurm` tests' cluster: any SLURM whose `sinfo` shows a usable node (CI starts a
one-node one with `slurm/local_cluster.sh up`); without one they skip, saying how to start it."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def cluster_missing() -> str | None:
    """Why no SLURM cluster can take jobs here, or None when one can."""
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return "no SLURM client (sbatch, sinfo) on PATH: start one with `sudo slurm/local_cluster.sh up`"
    try:
        r = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return (
            "sinfo did not answer in 20 s: is slurmctld running? (`slurm/local_cluster.sh status`)"
        )
    states = r.stdout.split()
    if r.returncode != 0 or not any(s.startswith(("idle", "mix", "alloc")) for s in states):
        errors = r.stderr.strip().splitlines()
        detail = (errors[-1] if errors else " ".join(states) or "no nodes")[:200]
        return (
            f"no SLURM node takes jobs ({detail}): start one with `sudo slurm/local_cluster.sh up`"
        )
    return None


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    reason = cluster_missing()
    if reason:
        pytest.skip(reason)
