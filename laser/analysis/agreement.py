"""Reward-model agreement: pairwise F1 of K reward models' preferences on the same response
pairs, the scores behind it and its heatmap."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from omegaconf import DictConfig  # noqa: E402


def preferences(scores: np.ndarray) -> np.ndarray:
    """Each RM's preference on each pair: (K, M, 2) scores -> (K, M) ints.

    ``+1`` when the first response scores higher, ``-1`` when the second does, ``0`` for a
    tie or when either score is NaN (the RM did not score that pair): no preference.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 3 or scores.shape[2] != 2:
        raise ValueError(f"scores must have shape (K, M, 2), got {scores.shape}")
    diff = scores[..., 0] - scores[..., 1]
    return np.where(np.isnan(diff), 0, np.sign(np.nan_to_num(diff))).astype(int)


def rm_agreement(scores: np.ndarray) -> np.ndarray:
    """Pairwise agreement of K reward models on the same M response pairs.

    Args:
        scores: (K, M, 2): ``scores[k, m, j]`` is RM k's score of response j of pair m
            (NaN where RM k did not score it).

    Returns:
        F (K, K), float in [0, 1] or NaN. ``F[a, b]`` is the F1 of RM b's labels against RM
        a's as the reference, on the positive class "the first response is better":

            pairs     P_a = {m : pref_a(m) != 0}        (pairs where a has a preference)
            truth     y_m = pref_a(m) = +1              for m in P_a
            predicted p_m = pref_b(m) = +1              (b's tie or "second" -> negative)
            TP = #(y & p),  FP = #(~y & p),  FN = #(y & ~p)
            F[a, b] = 2 TP / (2 TP + FP + FN),  NaN when the denominator is 0

        with ``pref`` from :func:`preferences`. Not symmetrized: rows are the reference,
        columns the RM judged. On pairs where both RMs have a preference F1 is symmetric
        (swapping the two turns FP into FN); the matrix differs from its transpose only
        through ties, which shrink the reference's pair set and cost the judged RM a
        false negative. The diagonal is 1 wherever the RM ever prefers the first response.
    """
    pref = preferences(scores)
    K = pref.shape[0]
    out = np.full((K, K), np.nan)
    for a in range(K):
        on = pref[a] != 0
        y = pref[a][on] > 0
        for b in range(K):
            p = pref[b][on] > 0
            tp, fp, fn = int((y & p).sum()), int((~y & p).sum()), int((y & ~p).sum())
            if 2 * tp + fp + fn:
                out[a, b] = 2 * tp / (2 * tp + fp + fn)
    return out


def collect_pair_scores(
    cfg: DictConfig,
    examples: Sequence[Any],
    responses_a: Sequence[str],
    responses_b: Sequence[str],
) -> np.ndarray:
    """Score two responses per prompt with every reward source of the run's reward set.

    The reward set is the run's sources without ``rewards.noise``: agreement is a property
    of the reward models themselves.

    Args:
        cfg: the run config (``rewards.names``, ``rewards.routing``, ``rewards.options``).
        examples: M prompts (``common.data.types.Example``).
        responses_a, responses_b: the first and second response to each prompt (M each).

    Returns:
        (K, M, 2) float scores, K = len(cfg.rewards.names) in that order; NaN where routing
        does not let a source score a prompt.
    """
    from common.rewards.reward_set import RewardSet

    if not len(examples) == len(responses_a) == len(responses_b):
        raise ValueError(
            f"{len(examples)} examples, {len(responses_a)} first and {len(responses_b)} "
            "second responses: need one pair per example"
        )
    rs = RewardSet(cfg.rewards.names, cfg.rewards.routing, cfg.rewards.get("options"))
    sides = []
    for responses in (responses_a, responses_b):
        table = rs.score(examples, list(responses))
        sides.append(np.where(table.mask, table.scores, np.nan).T)  # (K, M)
    return np.stack(sides, axis=-1)


def plot_rm_agreement(matrix: np.ndarray, names: Sequence[str], path: str | Path) -> Path:
    """Heatmap of an :func:`rm_agreement` matrix with each value written in its cell."""
    matrix = np.asarray(matrix, dtype=float)
    K = len(names)
    fig, ax = plt.subplots(figsize=(1.2 * K + 2.5, 1.0 * K + 1.8))
    im = ax.imshow(np.ma.masked_invalid(matrix), vmin=0, vmax=1, cmap="viridis")
    for a in range(K):
        for b in range(K):
            v = matrix[a, b]
            text, color = ("n/a", "black") if np.isnan(v) else (f"{v:.2f}", "white")
            if not np.isnan(v) and v > 0.6:
                color = "black"  # dark text on viridis' bright end
            ax.text(b, a, text, ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(K), names, rotation=30)
    ax.set_yticks(range(K), names)
    ax.set_xlabel("RM judged (prediction)")
    ax.set_ylabel("reference RM")
    ax.set_title("RM agreement: F1 on 'first response is better'")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
