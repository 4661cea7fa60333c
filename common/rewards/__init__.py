"""Reward metrics and reward-model scorers behind one registry.

:data:`SCORERS` (``common.rewards.registry``) finds every built-in scorer on first lookup by
importing each module of this package; a user's scorer is named by its dotted path.
"""

from common.rewards.base import RewardOutput, Scorer, micro_f1
from common.rewards.registry import SCORERS, build_scorer

__all__ = ["RewardOutput", "SCORERS", "Scorer", "micro_f1", "build_scorer"]
