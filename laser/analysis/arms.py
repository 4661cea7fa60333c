"""Arm utilization per prompt category, and the per-run arm figure (overall + per category).

The overall fraction, :func:`common.rundir.runs.arm_utilization`, is shared with compare and the
run plots."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common.rundir.plots import tab10_colors  # noqa: E402
from common.rundir.runs import arm_utilization, arms_in_order, step_arms  # noqa: E402


def arm_utilization_by_category(
    rows: Sequence[dict[str, Any]],
) -> dict[str, dict[str, float]]:
    """Per prompt category, the fraction of its prompts whose batch was scored by each arm.

    A step's arm counts once per entry of its ``categories`` (one entry per prompt), so a
    batch ``"math,math,code"`` scored by ``exact`` adds 2 to (math, exact) and 1 to
    (code, exact). Rows without an arm or without ``categories`` are ignored.

    Returns:
        {category: {rm: fraction}}, each inner dict summing to 1 over every RM of the run
        (0.0 for RMs never used on that category); categories sorted by name.
    """
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        picks = step_arms(r)
        if not picks or not r.get("categories"):
            continue
        categories = str(r["categories"]).split(",")
        if len(picks) == 1:  # per batch: the one arm scored every prompt
            picks = picks * len(categories)
        for category, arm in zip(categories, picks, strict=True):
            counts[category][arm] += 1
    arms = arms_in_order(rows)
    return {c: {a: counts[c][a] / sum(counts[c].values()) for a in arms} for c in sorted(counts)}


def plot_arm_utilization(rows: Sequence[dict[str, Any]], path: str | Path) -> Path | None:
    """Overall utilization bars (left) and per-category stacked bars (right); None (nothing
    written) when no row has an arm."""
    overall = arm_utilization(rows)
    if not overall:
        return None
    by_cat = arm_utilization_by_category(rows)
    arms = list(overall)
    colors = tab10_colors(arms)
    fig, (ax0, ax1) = plt.subplots(
        1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1, max(1.5, 0.5 * len(by_cat))]}
    )
    ax0.bar(arms, [overall[a] for a in arms], color=[colors[a] for a in arms])
    ax0.axhline(1 / len(arms), color="gray", ls="--", lw=1, label="uniform 1/K")
    ax0.set_ylim(0, 1)
    ax0.set_ylabel("fraction of steps")
    ax0.set_title("arm utilization (overall)")
    ax0.tick_params(axis="x", rotation=30)
    ax0.legend(fontsize=7)
    cats = list(by_cat)
    bottom = np.zeros(len(cats))
    for a in arms:
        share = np.array([by_cat[c][a] for c in cats])
        ax1.bar(cats, share, bottom=bottom, color=colors[a], label=a)
        bottom += share
    ax1.set_ylim(0, 1)
    ax1.set_ylabel("fraction of the category's prompts")
    ax1.set_title("arm utilization per prompt category")
    ax1.tick_params(axis="x", rotation=30)
    ax1.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
