"""The command line: ``python -m laser.analysis RUN_DIR [RUN_DIR ...] [--out DIR] [--pairs N]``."""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import laser.analysis
from common.rundir.runs import RunDir, arm_utilization, select
from laser.analysis.agreement import plot_rm_agreement, rm_agreement
from laser.analysis.arms import arm_utilization_by_category, plot_arm_utilization
from laser.analysis.noise import (
    noise_robustness,
    noise_setting,
    noised_source,
    plot_noise_robustness,
)
from laser.analysis.sampling import sample_pair_scores
from laser.analysis.wall_clock import wall_clock, wall_clock_markdown


def _default_out(run_dirs: Sequence[Path]) -> Path:
    if len(run_dirs) == 1:
        return run_dirs[0] / "plots"
    return Path(os.path.commonpath([str(d.resolve()) for d in run_dirs])) / "analysis"


def _jsonable(matrix: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else round(float(v), 4) for v in row] for row in matrix]


def analyse(
    run_dirs: Sequence[str | Path], out: str | Path | None = None, pairs: int = 0
) -> list[Path]:
    """Every analysis the given runs allow (see :mod:`laser.analysis`); returns the files
    written. ``pairs > 0`` samples from each run's exported policy (RM agreement)."""
    run_dirs = [Path(d) for d in run_dirs]
    for d in run_dirs:
        if not (d / "metrics.jsonl").exists():
            raise FileNotFoundError(f"{d}/metrics.jsonl not found: not a run directory")
    out = Path(out) if out is not None else _default_out(run_dirs)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    report: dict[str, Any] = {"runs": {}}
    runs = {d: RunDir(d) for d in run_dirs}
    for d in run_dirs:
        rows = runs[d].metrics
        (d / "plots").mkdir(exist_ok=True)
        entry: dict[str, Any] = {
            "arm_utilization": arm_utilization(rows),
            "arm_utilization_by_category": arm_utilization_by_category(rows),
        }
        path = plot_arm_utilization(rows, d / "plots" / "arm_utilization.png")
        if path is not None:
            written.append(path)
        if pairs > 0:
            names, scores = sample_pair_scores(d, pairs)
            matrix = rm_agreement(scores)
            entry["rm_agreement"] = {"names": names, "pairs": scores.shape[1]}
            entry["rm_agreement"]["f1"] = _jsonable(matrix)
            written.append(plot_rm_agreement(matrix, names, d / "plots" / "rm_agreement.png"))
        report["runs"][str(d)] = entry

    table = wall_clock(run_dirs)
    report["wall_clock"] = table
    (out / "wall_clock.md").write_text(wall_clock_markdown(table), encoding="utf-8")
    written.append(out / "wall_clock.md")

    noisy = [d for d in run_dirs if noise_setting(runs[d].cfg)[0] is not None]
    bandit_runs = [d for d in run_dirs if report["runs"][str(d)]["arm_utilization"]]
    if len(run_dirs) > 1 and noisy:
        name = noised_source(noisy)
        by_balancer: dict[str, list[Path]] = defaultdict(list)
        for d in bandit_runs:
            by_balancer[str(select(runs[d].cfg, "balancer.name", "?"))].append(d)
        series = {b: noise_robustness(ds) for b, ds in by_balancer.items() if set(ds) & set(noisy)}
        report["noise_robustness"] = {"source": name, "points": series}
        if series:  # empty when every noised run is an ensemble run (no arm to count)
            written.append(plot_noise_robustness(series, name, out / "noise_robustness.png"))

    (out / "analysis.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    written.append(out / "analysis.json")
    return written


def main(argv: list[str] | None = None) -> None:
    """CLI entry point: print the files written, then the wall-clock table."""
    ap = argparse.ArgumentParser(
        prog="python -m laser.analysis", description=laser.analysis.__doc__.splitlines()[0]
    )
    ap.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for cross-run outputs (wall_clock.md, noise_robustness.png, "
        "analysis.json); default: RUN_DIR/plots for one run, <common parent>/analysis else",
    )
    ap.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="RM agreement on 2 sampled responses for N eval prompts per run (0: skip)",
    )
    args = ap.parse_args(argv)
    for path in analyse(args.run_dirs, args.out, args.pairs):
        print(path)
    print((Path(args.out or _default_out(args.run_dirs)) / "wall_clock.md").read_text())
