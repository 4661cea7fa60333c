"""Preference data from n scored responses per prompt: DPO pairs or KTO labels.

``scores`` is a (G, n) array: G prompts, n sampled responses each, scored by the reward
model the bandit picked. Responses are ranked per prompt by score, highest first, ties broken
by the lower response index, so every output is deterministic. Equal scores express no
preference: a pair is kept only when score_chosen - score_rejected > min_margin (>= 0).
"""

from __future__ import annotations

import numpy as np

STRATEGIES = ("best_worst", "all")


def _as_scores(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must be (G, n), got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN; a NaN cannot be ranked")
    return scores


def rank_responses(scores_row: np.ndarray) -> np.ndarray:
    """(n,) response indices from best to worst; equal scores keep index order."""
    # A stable sort of the negated scores puts the lower index first among ties.
    return np.argsort(-np.asarray(scores_row, dtype=np.float64), kind="stable")


def build_pairs(
    scores: np.ndarray,
    num_pairs: int,
    strategy: str = "best_worst",
    min_margin: float = 0.0,
) -> list[tuple[int, int, int]]:
    """Preference pairs (g, i_chosen, j_rejected), at most ``num_pairs`` per prompt.

    Strategies, on prompt g's ranking o_0 (best) .. o_{n-1} (worst):
        ``best_worst``: pair k = (o_k, o_{n-1-k}) for k = 0, 1, ... while k < n-1-k, i.e. best
            vs worst, second best vs second worst, ...: each response is used at most once.
            Margins shrink with k, so the first pair below the margin ends the prompt.
        ``all``: every ordered pair with score_i - score_j > min_margin, largest margin first
            (then lower i, then lower j); a response may appear in several pairs.

    Args:
        scores: (G, n) response scores.
        num_pairs: cap per prompt (>= 0).
        strategy: one of ``STRATEGIES``.
        min_margin: a pair needs score_chosen - score_rejected > min_margin (>= 0).

    Returns:
        Pairs ordered by prompt, then by the strategy's order within the prompt.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    if num_pairs < 0:
        raise ValueError(f"num_pairs must be >= 0, got {num_pairs}")
    if min_margin < 0:
        raise ValueError(
            f"min_margin must be >= 0 (equal scores are no preference), got {min_margin}"
        )
    scores = _as_scores(scores)
    chooser = _best_worst if strategy == "best_worst" else _all_pairs
    pairs: list[tuple[int, int, int]] = []
    for g, row in enumerate(scores):
        pairs.extend((g, i, j) for i, j in chooser(row, num_pairs, min_margin))
    return pairs


def _best_worst(row: np.ndarray, num_pairs: int, min_margin: float) -> list[tuple[int, int]]:
    order = rank_responses(row)
    n = len(order)
    out = []
    for k in range(min(num_pairs, n // 2)):  # k < n-1-k  <=>  k < n // 2
        i, j = int(order[k]), int(order[n - 1 - k])
        if row[i] - row[j] <= min_margin:
            break
        out.append((i, j))
    return out


def _all_pairs(row: np.ndarray, num_pairs: int, min_margin: float) -> list[tuple[int, int]]:
    n = len(row)
    candidates = [
        (row[i] - row[j], i, j) for i in range(n) for j in range(n) if row[i] - row[j] > min_margin
    ]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    return [(i, j) for _, i, j in candidates[:num_pairs]]


def kto_examples(scores: np.ndarray, threshold: str | float = "median") -> np.ndarray:
    """(G, n) bool: True for desirable responses, for KTO's unpaired data.

    A response is desirable when its score is strictly above the threshold: its prompt's
    median score (``"median"``; for even n the mean of the two middle scores) or a fixed
    number. A score equal to the threshold is undesirable, so a prompt whose responses all
    score the same has no desirable response, and with odd n the median response itself is
    undesirable (more undesirable than desirable examples; rebalance with the KTO weights).

    Args:
        scores: (G, n) response scores.
        threshold: ``"median"`` or a float.
    """
    scores = _as_scores(scores)
    if isinstance(threshold, str):
        if threshold != "median":
            raise ValueError(f"unknown threshold {threshold!r}; allowed: 'median' or a number")
        return scores > np.median(scores, axis=1, keepdims=True)
    return scores > float(threshold)
