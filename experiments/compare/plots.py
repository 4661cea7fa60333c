"""Cross-method figures: weight and reward curves per metric (one line per method) and arm
utilization per method."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common.rundir.plots import tab10_colors  # noqa: E402
from common.rundir.runs import arm_utilization, metric_series, running_mean  # noqa: E402
from experiments.compare.stats import Row  # noqa: E402


def _mean_curve(
    curves: Sequence[tuple[list[int], list[float]]], carry_forward: bool
) -> tuple[list[int], list[float]]:
    """The mean of several (steps, values) curves, each sorted by step, at each step any of
    them has. With ``carry_forward`` a curve counts at a step it lacks with its last earlier
    value."""
    ordered = [(list(s), list(v)) for s, v in curves if s]  # each sorted by step
    steps = sorted({s for st, _ in ordered for s in st})
    means = []
    for step in steps:
        values = []
        for st, vs in ordered:
            i = bisect_right(st, step) - 1
            if i >= 0 and (carry_forward or st[i] == step):
                values.append(vs[i])
        means.append(float(np.mean(values)))
    return steps, means


def method_curves(
    rows: Sequence[Row], prefix: str, running: bool = False
) -> dict[str, dict[str, tuple[list[int], list[float]]]]:
    """Per method row and per ``prefix`` metric (e.g. ``weight/``), the mean curve over the
    row's runs (each run's running mean first when ``running``).

    Returns:
        {label: {metric: (steps, mean values)}}; rows and metrics without data left out.
    """
    out: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
    for row in rows:
        if row.zero_shot:
            continue
        per_metric: dict[str, list[tuple[list[int], list[float]]]] = defaultdict(list)
        for run in row.runs:
            for metric, (steps, values) in metric_series(run.metrics, prefix).items():
                order = np.argsort(steps, kind="stable")
                steps = [steps[i] for i in order]
                values = [values[i] for i in order]
                per_metric[metric].append((steps, running_mean(values) if running else values))
        curves = {m: _mean_curve(c, carry_forward=running) for m, c in per_metric.items()}
        if curves:
            out[row.label] = curves
    return out


def plot_metric_grid(
    curves: dict[str, dict[str, tuple[list[int], list[float]]]],
    title: str,
    ylabel: str,
    path: Path,
) -> Path | None:
    """One subplot per metric, one line per method; returns ``path``, or None (nothing
    written) when there is no curve."""
    metrics = sorted({m for per_metric in curves.values() for m in per_metric})
    if not metrics:
        return None
    ncols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.5 * ncols, 3.2 * nrows), squeeze=False, sharex=True
    )
    colors = tab10_colors(list(curves))
    for ax, metric in zip(axes.flat, metrics, strict=False):
        for label, per_metric in curves.items():
            if metric in per_metric:
                steps, values = per_metric[metric]
                ax.plot(steps, values, label=label, color=colors[label], lw=1.2)
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    for ax in list(axes.flat)[1 : len(metrics)]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06 + 0.03 * math.ceil(len(labels) / 4), 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def method_arm_utilization(rows: Sequence[Row]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per method row with bandit runs, each arm's fraction of steps (``arm_utilization`` of
    each run that logs ``arm``), as (mean, std) over those runs (std 0 with one run).

    Returns:
        {label: {arm: (mean, std)}}; rows without any ``arm`` left out.
    """
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for row in rows:
        if row.zero_shot:
            continue
        per_run = [u for u in (arm_utilization(r.metrics) for r in row.runs) if u]
        if not per_run:
            continue
        arms = list(dict.fromkeys(a for u in per_run for a in u))
        out[row.label] = {
            a: (
                float(np.mean([u.get(a, 0.0) for u in per_run])),
                float(np.std([u.get(a, 0.0) for u in per_run], ddof=1))
                if len(per_run) > 1
                else 0.0,
            )
            for a in arms
        }
    return out


def plot_arm_utilization_by_method(
    utilization: dict[str, dict[str, tuple[float, float]]], path: Path
) -> Path | None:
    """Grouped bars: x = arms, one bar per method (mean over seeds, std error bar); returns
    ``path``, or None (nothing written) without data."""
    if not utilization:
        return None
    arms = list(dict.fromkeys(a for u in utilization.values() for a in u))
    labels = list(utilization)
    colors = tab10_colors(labels)
    width = 0.8 / len(labels)
    x = np.arange(len(arms))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(arms) * max(1, len(labels) / 2)), 4))
    for i, label in enumerate(labels):
        means = [utilization[label].get(a, (0.0, 0.0))[0] for a in arms]
        stds = [utilization[label].get(a, (0.0, 0.0))[1] for a in arms]
        ax.bar(
            x + (i - (len(labels) - 1) / 2) * width,
            means,
            width,
            yerr=stds,
            capsize=2,
            label=label,
            color=colors[label],
        )
    ax.axhline(1 / len(arms), color="gray", ls="--", lw=1, label="uniform 1/K")
    ax.set_xticks(x, arms, rotation=30)
    ax.set_ylim(0, 1)
    ax.set_ylabel("fraction of steps")
    ax.set_title("arm utilization per method (mean over seeds)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(rows: Sequence[Row], out: Path) -> list[Path]:
    """weights.png, rewards.png and arm_utilization.png in ``out``; returns those written
    (a plot without data is skipped)."""
    figures = [
        plot_metric_grid(
            method_curves(rows, "weight/"),
            "mixing weight per step (mean over seeds)",
            "weight",
            out / "weights.png",
        ),
        plot_metric_grid(
            method_curves(rows, "reward/", running=True),
            "raw reward (running mean per run, mean over seeds)",
            "reward",
            out / "rewards.png",
        ),
        plot_arm_utilization_by_method(method_arm_utilization(rows), out / "arm_utilization.png"),
    ]
    return [p for p in figures if p is not None]
