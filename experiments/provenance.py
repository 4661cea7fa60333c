"""What a run needs to be re-run exactly: ``run_info.json`` and ``resolved_config.yaml``.

``run_info.json`` holds the git commit (and whether the tree was dirty; the uncommitted diff
goes to ``git_diff.patch`` beside it), the command-line overrides and the command that
repeats the run, the seed, the versions of the packages that decide the numbers, the Python
and platform, and one entry per start of the process (host, time, SLURM job and restart
count), so a requeued job's history stays readable. ``resolved_config.yaml`` is the config
with every interpolation resolved (Hydra's ``.hydra/config.yaml`` keeps them unresolved).
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import socket
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

REPO = Path(__file__).resolve().parents[1]
RUN_INFO = "run_info.json"
RESOLVED_CONFIG = "resolved_config.yaml"
GIT_DIFF = "git_diff.patch"

# Packages whose version can change a run's numbers.
TRACKED_PACKAGES = (
    "torch",
    "transformers",
    "peft",
    "deepspeed",
    "accelerate",
    "hydra-core",
    "omegaconf",
    "numpy",
    "scipy",
    "datasets",
    "sentence-transformers",
    "sacrebleu",
    "rouge-score",
    "wandb",
    "submitit",
    "hydra-submitit-launcher",
    "trl",
)
SLURM_VARS = (
    "SLURM_JOB_ID",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_RESTART_COUNT",
    "SLURM_JOB_NODELIST",
    "SLURM_JOB_PARTITION",
)


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=20, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout


def git_state() -> dict[str, Any]:
    """``{"commit", "branch", "dirty"}`` of the checkout this code runs from (None values
    when it is not a git checkout, e.g. an installed wheel)."""
    commit = _git("rev-parse", "HEAD")
    branch = _git("rev-parse", "--abbrev-ref", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit.strip() if commit else None,
        "branch": branch.strip() if branch else None,
        "dirty": bool(status.strip()) if status is not None else None,
    }


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (None when it is not installed)."""
    out: dict[str, str | None] = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = None
    return out


def _environ(names: tuple[str, ...]) -> dict[str, str]:
    return {n: os.environ[n] for n in names if n in os.environ}


def this_start() -> dict[str, Any]:
    """One start of the process: when, where, under which SLURM job."""
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": socket.gethostname(),
        "argv": list(sys.argv),
        "slurm": _environ(SLURM_VARS),
    }


def rerun_command(overrides: list[str]) -> str:
    """The command that repeats the run (same overrides; a fresh output folder)."""
    return " ".join(["python -m experiments.run", *map(shlex.quote, overrides)])


def run_precision(cfg: DictConfig) -> dict[str, Any]:
    """The compute precision the run uses (``model.precision`` resolved on this machine) and
    what the choice of ``auto`` was based on."""
    from common.models.precision import describe, resolve_precision

    asked = str(OmegaConf.select(cfg, "model.precision", default="auto"))
    return {"requested": asked, "used": resolve_precision(asked), **describe()}


def record_run(cfg: DictConfig, run_dir: str | Path, overrides: list[str]) -> dict[str, Any]:
    """Write (or, for a resumed run, extend) ``run_info.json``, ``resolved_config.yaml`` and,
    when the tree is dirty, ``git_diff.patch`` in ``run_dir``. Returns the run info."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / RUN_INFO
    starts: list[dict[str, Any]] = []
    if path.exists():
        try:
            starts = list(json.loads(path.read_text()).get("starts", []))
        except (ValueError, AttributeError):
            starts = []  # a file cut by a kill: the history restarts, the facts are rewritten
    git = git_state()
    if git["dirty"]:
        diff = _git("diff", "HEAD")
        if diff:
            (run_dir / GIT_DIFF).write_text(diff)
    info = {
        "exp": cfg.get("exp_name"),
        "seed": int(cfg.seed),
        "overrides": list(overrides),
        "rerun": rerun_command(list(overrides)),
        "git": git,
        "packages": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "precision": run_precision(cfg),
        "starts": [*starts, this_start()],
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info, indent=2))
    tmp.replace(path)
    try:
        resolved = OmegaConf.to_yaml(cfg, resolve=True)
    except Exception as err:  # e.g. ${hydra:...} outside a Hydra app
        resolved = f"# could not resolve every interpolation: {err}\n" + OmegaConf.to_yaml(cfg)
    (run_dir / RESOLVED_CONFIG).write_text(resolved)
    return info
