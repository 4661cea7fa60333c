"""Cheap heuristic rewards that need no gold: answer format and length.

They are deliberately weak reward models: useful as bandit arms that a good selector should
learn to use rarely (format) or avoid (length), next to strong ones such as answer exactness.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from common.rewards.base import RewardOutput, Scorer
from common.rewards.math_answer import _ANSWER_PATTERNS
from common.rewards.registry import SCORERS


@SCORERS.register("answer_format")
class AnswerFormat(Scorer):
    """1 when the output states a final answer in a recognised form (``#### n``,
    ``\\boxed{n}``, ``Final answer: n``, ``The answer is n``), else 0. Shape (B,)."""

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        ok = np.array(
            [isinstance(o, str) and any(p.search(o) for p in _ANSWER_PATTERNS) for o in outputs],
            dtype=bool,
        )
        return RewardOutput(self.name, ok.astype(np.float64), np.zeros(len(outputs), bool))


@SCORERS.register("length_reward")
class LengthReward(Scorer):
    """Closeness of the output's word count w to a target length L:
    ``max(0, 1 - |w - L| / L)``, shape (B,). A classic reward-hacking signal."""

    def __init__(self, target_words: int = 60) -> None:
        if target_words <= 0:
            raise ValueError(f"target_words={target_words} must be > 0")
        self.target = float(target_words)

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        words = np.array([len(o.split()) if isinstance(o, str) else 0 for o in outputs], float)
        scores = np.clip(1.0 - np.abs(words - self.target) / self.target, 0.0, 1.0)
        failed = np.array([not isinstance(o, str) for o in outputs], dtype=bool)
        return RewardOutput(self.name, scores, failed)
