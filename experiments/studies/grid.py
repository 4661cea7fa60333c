"""The training runs of a study: every condition with every seed, one subprocess each.

A run lives in ``<root>/runs/<condition>/seed<k>/`` and counts as finished when its
``summary.json`` and ``final_model/`` exist (its checkpoints are then deleted: the study reads
only ``final_model/`` and the logs); finished runs are never trained again, so a
study interrupted (or run in parts) picks up where it stopped. A run that failed keeps its
``train.log``; the error names it and the command to re-run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from experiments.studies.spec import REPO, StudySpec

# A training run must not inherit a rendezvous that a launcher set up for this process.
DIST_VARS = frozenset({"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"})


@dataclass(frozen=True)
class Run:
    condition: str
    seed: int
    folder: Path
    overrides: tuple[str, ...]

    @property
    def finished(self) -> bool:
        return (self.folder / "summary.json").is_file() and (self.folder / "final_model").is_dir()

    def missing(self) -> dict[str, object] | None:
        """None for a finished run, else what a report says of it: ``{"condition", "seed",
        "folder", "state"}``, state ``not started`` (no folder) or ``unfinished (...)``
        naming what is absent and the log to read."""
        if self.finished:
            return None
        if not self.folder.exists():
            state = "not started"
        else:
            absent = [n for n in ("summary.json", "final_model/") if not (self.folder / n).exists()]
            log = self.folder / "train.log"
            state = f"unfinished (no {' or '.join(absent)}" + (
                f"; see {log})" if log.is_file() else ")"
            )
        return {"condition": self.condition, "seed": self.seed, "folder": str(self.folder),
                "state": state}  # fmt: skip

    def command(self, spec: StudySpec) -> list[str]:
        return [
            sys.executable,
            "-m",
            "experiments.run",
            f"+exp={spec.exp}",
            f"seed={self.seed}",
            f"hydra.run.dir={self.folder}",
            f"exp_name={spec.name}_{self.condition}",
            *spec.overrides,
            *self.overrides,
        ]


def plan_runs(spec: StudySpec, root: Path, seeds=None, only=None) -> list[Run]:
    """The runs of ``spec`` under ``root``, seed-major (every condition of seed 0 first, so a
    study cut short still has whole seeds to compare)."""
    seeds = tuple(spec.seeds if seeds is None else seeds)
    conditions = list(spec.conditions) if not only else list(only)
    unknown = sorted(set(conditions) - set(spec.conditions))
    if unknown:
        raise ValueError(
            f"--only {unknown}: not conditions of {spec.name}: {list(spec.conditions)}"
        )
    return [
        Run(c, s, root / "runs" / c / f"seed{s}", spec.conditions[c])
        for s in seeds
        for c in conditions
    ]


def train_all(spec: StudySpec, runs: list[Run], log=print) -> dict[str, float]:
    """Train every unfinished run in order; returns run id -> wall seconds of those trained."""
    env = {k: v for k, v in os.environ.items() if k not in DIST_VARS}
    walls = {}
    todo = [r for r in runs if not r.finished]
    log(f"[{spec.name}] {len(runs) - len(todo)} of {len(runs)} runs already finished")
    for i, run in enumerate(todo, 1):
        run.folder.mkdir(parents=True, exist_ok=True)
        cmd = run.command(spec)
        log(f"[{spec.name}] run {i}/{len(todo)}: {run.condition} seed {run.seed}")
        start = time.perf_counter()
        with open(run.folder / "train.log", "w", encoding="utf-8") as out:
            done = subprocess.run(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise RuntimeError(
                f"{run.condition} seed {run.seed} failed (exit {done.returncode}); see "
                f"{run.folder / 'train.log'}; command: {' '.join(cmd[1:])}"
            )
        walls[f"{run.condition}/seed{run.seed}"] = time.perf_counter() - start
        # A finished run's checkpoints (model + optimizer state, ~3.6 GB for the 135M policy
        # with two kept) are never read again: the study evaluates final_model/. A 12-run
        # study would otherwise fill a small disk.
        shutil.rmtree(run.folder / "checkpoints", ignore_errors=True)
        log(f"[{spec.name}]   done in {walls[f'{run.condition}/seed{run.seed}']:.0f} s")
    return walls
