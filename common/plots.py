"""Run plots from metrics.jsonl: weight and reward trajectories (the DRBO paper's Figures 2-3)
and arm utilization for runs whose mixer picks one source per step."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt  # noqa: E402

from common.tracking import read_metrics  # noqa: E402


def _series(rows: list[dict], prefix: str) -> dict[str, tuple[list[int], list[float]]]:
    out: dict[str, tuple[list[int], list[float]]] = {}
    for r in rows:
        for k, v in r.items():
            if k.startswith(prefix) and isinstance(v, (int, float)):
                steps, values = out.setdefault(k[len(prefix) :], ([], []))
                steps.append(r["step"])
                values.append(float(v))
    return out


def _running_mean(values: list[float]) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values, 1):
        total += v
        out.append(total / i)
    return out


def _line_plot(series, title: str, ylabel: str, path: Path, running: bool = False) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (steps, values) in sorted(series.items()):
        ax.plot(steps, _running_mean(values) if running else values, label=name, marker=".")
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
    rows = read_metrics(run_dir / "metrics.jsonl")
    if not rows:
        return []
    out = run_dir / "plots"
    out.mkdir(exist_ok=True)
    written = []
    weights = _series(rows, "weight/")
    if weights:
        written.append(_line_plot(weights, "reward weights", "weight", out / "weights.png"))
    rewards = _series(rows, "reward/")
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
    scaled = _series(rows, "scaled/")
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
    # per batch one ``arm`` a step; per query (``arms``) one per prompt
    arms = Counter(
        a
        for r in rows
        for a in (str(r["arms"]).split(",") if r.get("arms") else [r.get("arm")])
        if a
    )
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
