"""Run plots from metrics.jsonl: weight and reward trajectories (the DRBO paper's Figures 2-3)
and arm utilization for runs whose mixer picks one source per step."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt  # noqa: E402

from common.rundir.runs import arm_counts, metric_series, read_run_metrics, running_mean  # noqa: E402


def tab10_colors(names: Sequence[str]) -> dict[str, Any]:
    """A colour per name from matplotlib's ``tab10`` cycle, in order (the 11th repeats the
    1st): one method or arm keeps its colour across a figure's panels."""
    cmap = plt.get_cmap("tab10")
    return {name: cmap(i % 10) for i, name in enumerate(names)}


def _line_plot(series, title: str, ylabel: str, path: Path, running: bool = False) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (steps, values) in sorted(series.items()):
        ax.plot(steps, running_mean(values) if running else values, label=name, marker=".")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_run(run_dir: str | Path) -> list[Path]:
    """Write ``plots/*.png`` for the run in ``run_dir``; returns the files written."""
    run_dir = Path(run_dir)
    rows = read_run_metrics(run_dir)
    if not rows:
        return []
    out = run_dir / "plots"
    out.mkdir(exist_ok=True)
    written = []
    weights = metric_series(rows, "weight/")
    if weights:
        written.append(_line_plot(weights, "reward weights", "weight", out / "weights.png"))
    rewards = metric_series(rows, "reward/")
    if rewards:
        written.append(
            _line_plot(
                rewards,
                "raw reward per metric (running mean over the steps that scored it)",
                "reward",
                out / "rewards.png",
                running=True,
            )
        )
    scaled = metric_series(rows, "scaled/")
    if scaled:
        written.append(
            _line_plot(
                scaled,
                "standardized reward (running mean)",
                "scaled reward",
                out / "scaled_rewards.png",
                running=True,
            )
        )
    arms = arm_counts(rows)  # per batch one ``arm`` a step; per query one per prompt
    if arms:
        fig, ax = plt.subplots(figsize=(7, 4))
        names = sorted(arms)
        ax.bar(names, [arms[n] for n in names])
        ax.set_ylabel("steps")
        ax.set_title("arm utilization (source picked per step)")
        ax.tick_params(axis="x", rotation=30)
        fig.tight_layout()
        path = out / "arms.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written
