"""Reward metrics and reward-model scorers behind one registry.

Importing this package registers every built-in scorer (one import line per module below).
"""

from common.rewards.base import RewardOutput, Scorer, micro_f1
from common.rewards.registry import available_scorers, build_scorer, register_scorer, scorer_class

__all__ = [
    "RewardOutput",
    "Scorer",
    "micro_f1",
    "available_scorers",
    "build_scorer",
    "register_scorer",
    "scorer_class",
]
