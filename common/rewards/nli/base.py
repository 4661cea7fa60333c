"""The entailment interface every NLI scorer implements (:class:`NLIScorer`: one probability
and one decision per (premise, hypothesis) pair) and the pair check they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

T5_TRUE = "google/t5_xxl_true_nli_mixture"


class NLIScorer(ABC):
    """Batched entailment: one probability and one decision per (premise, hypothesis) pair."""

    batch_size: int = 32

    @abstractmethod
    def probs(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        """P(premise entails hypothesis), float array of shape (B,) in [0, 1]."""

    def entails(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        """Entailment decisions, bool array of shape (B,)."""
        return self.probs(premises, hypotheses) >= 0.5


def as_pairs(premises: Sequence[str], hypotheses: Sequence[str]) -> tuple[list[str], list[str]]:
    if len(premises) != len(hypotheses):
        raise ValueError(f"{len(premises)} premises but {len(hypotheses)} hypotheses")
    return [p or "" for p in premises], [h or "" for h in hypotheses]
