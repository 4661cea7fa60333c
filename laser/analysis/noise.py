"""Noise robustness: does the bandit drop a reward model whose scores carry added noise?"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from common.rundir.plots import tab10_colors  # noqa: E402
from common.rundir.runs import arm_utilization, load_run_config, read_run_metrics, select  # noqa: E402


def noise_setting(cfg: DictConfig | None) -> tuple[str | None, float]:
    """(noised source, sigma) from ``rewards.noise``; (None, 0.0) for a run without it."""
    name = select(cfg, "rewards.noise.name")
    sigma = select(cfg, "rewards.noise.sigma")
    return name, 0.0 if name is None or sigma is None else float(sigma)


def noised_source(run_dirs: Sequence[str | Path]) -> str:
    """The one reward source the runs' ``rewards.noise.name`` perturbs.

    Raises:
        ValueError: no run sets ``rewards.noise``, or runs noise different sources.
    """
    names = {noise_setting(load_run_config(d))[0] for d in run_dirs} - {None}
    if len(names) != 1:
        raise ValueError(
            "noise robustness needs runs that perturb one source via rewards.noise.name; "
            f"found {sorted(names) or 'none'} in {[str(d) for d in run_dirs]}"
        )
    return names.pop()


def noise_robustness(run_dirs: Sequence[str | Path]) -> list[tuple[float, float]]:
    """Utilization of the noised reward model against the noise added to its scores.

    The runs differ by Gaussian noise N(0, sigma^2) on one source's scores
    (``rewards.noise.{name, sigma}`` in ``.hydra/config.yaml``); a run without
    ``rewards.noise`` is the sigma = 0 baseline.

    Returns:
        [(sigma, fraction of bandit steps that picked the noised source)], one per run,
        sorted by sigma (runs with equal sigma, e.g. seeds, keep their input order).

    Raises:
        ValueError: as :func:`noised_source`, or a run has no bandit step (no ``arm``).
    """
    name = noised_source(run_dirs)
    points = []
    for d in run_dirs:
        util = arm_utilization(read_run_metrics(d))
        if not util:
            raise ValueError(f"{d}: no step picked an arm; noise robustness needs bandit runs")
        points.append((noise_setting(load_run_config(d))[1], util.get(name, 0.0)))
    return sorted(points, key=lambda p: p[0])


def plot_noise_robustness(
    series: dict[str, list[tuple[float, float]]], name: str, path: str | Path
) -> Path:
    """Utilization of the noised source vs sigma: each run a dot, the mean over runs of
    equal sigma a line; one series per label (e.g. per balancer)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    colors = tab10_colors(sorted(series))
    for label, points in sorted(series.items()):
        color = colors[label]
        xs, ys = zip(*points, strict=True)
        ax.scatter(xs, ys, color=color, alpha=0.5, s=18)
        sigmas = sorted(set(xs))
        means = [np.mean([u for s, u in points if s == x]) for x in sigmas]
        ax.plot(sigmas, means, marker="o", color=color, label=label)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"sigma of the Gaussian noise on {name}'s scores")
    ax.set_ylabel(f"utilization of {name}")
    ax.set_title("noise robustness: does the bandit drop a noisy RM?")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
