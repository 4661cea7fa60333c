"""The analyses the LASeR paper reports, computed from run directories.

    python -m laser.analysis RUN_DIR [RUN_DIR ...] [--out DIR] [--pairs N]

A run directory holds ``metrics.jsonl`` (one row per step; bandit rows carry ``arm``, the
reward model picked, and ``categories``, the comma-joined category of each prompt of the
batch), ``summary.json`` and ``.hydra/config.yaml``. Analyses:

    arm utilization        fraction of steps each reward model was picked, overall and per
                           prompt category                        -> plots/arm_utilization.png
    RM agreement           pairwise F1 of K reward models' preferences on the same M response
                           pairs (``--pairs N``: 2 samples per eval prompt from the run's
                           policy)                                  -> plots/rm_agreement.png
    noise robustness       utilization of the reward model that ``rewards.noise`` perturbs, as
                           its noise sigma grows over several runs -> OUT/noise_robustness.png
    wall clock             seconds per step by part, RM-scoring time, total wall time, one
                           row per run                              -> OUT/wall_clock.md

Per-run figures go to each run's ``plots/``; cross-run outputs (and ``analysis.json`` with
every number) to ``--out`` (default: the run's ``plots/`` for one run, ``<common parent of
the runs>/analysis`` for several).
"""

from __future__ import annotations

# One job a module: arms (utilization per category and its figure), agreement (RM F1 on
# response pairs), noise (utilization of a noised RM against its sigma), wall_clock (time per
# step by part), sampling (the --pairs responses: the only part that loads a policy and
# generates), cli (analyse() and the command line). Reading run folders is common.rundir.runs'.
from common.rundir.runs import arm_utilization, load_run_config
from laser.analysis.agreement import (
    collect_pair_scores,
    plot_rm_agreement,
    preferences,
    rm_agreement,
)
from laser.analysis.arms import arm_utilization_by_category, plot_arm_utilization
from laser.analysis.cli import analyse, main
from laser.analysis.noise import (
    noise_robustness,
    noise_setting,
    noised_source,
    plot_noise_robustness,
)
from laser.analysis.wall_clock import TIME_PARTS, wall_clock, wall_clock_markdown

__all__ = [
    "TIME_PARTS",
    "analyse",
    "arm_utilization",
    "arm_utilization_by_category",
    "collect_pair_scores",
    "load_run_config",
    "main",
    "noise_robustness",
    "noise_setting",
    "noised_source",
    "plot_arm_utilization",
    "plot_noise_robustness",
    "plot_rm_agreement",
    "preferences",
    "rm_agreement",
    "wall_clock",
    "wall_clock_markdown",
]
