"""Reward metrics and reward-model scorers behind one registry.

Importing this package registers every built-in scorer (one import line per module below).
"""

# One line per scorer module: importing it registers its scorers.
import common.rewards.alce  # noqa: E402,F401
import common.rewards.embedding_sim  # noqa: E402,F401
import common.rewards.fluency  # noqa: E402,F401
import common.rewards.heuristics  # noqa: E402,F401
import common.rewards.ifeval_rewards  # noqa: E402,F401
import common.rewards.math_answer  # noqa: E402,F401
import common.rewards.pref_rm  # noqa: E402,F401
import common.rewards.relevance  # noqa: E402,F401
import common.rewards.reward_models  # noqa: E402,F401
import common.rewards.shopbench_metrics  # noqa: E402,F401
import common.rewards.text_overlap  # noqa: E402,F401
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
