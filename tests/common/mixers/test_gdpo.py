"""GDPO's per-reward group normalization and conditioned rewards, alone and in the reward
step, against hand-computed values."""

import numpy as np
import pytest

from common.data.types import Example
from common.mixers.base import build_mixer
from common.mixers.gdpo import apply_conditions, group_standardize, parse_conditions
from common.mixers.step import RewardStep
from common.rewards.reward_set import RewardSet

NAMES = ["fmt", "short", "long"]
OPTIONS = {
    "fmt": {"scorer": "answer_format"},
    "short": {"scorer": "length_reward", "target_words": 3},
    "long": {"scorer": "length_reward", "target_words": 12},
}


def test_group_standardize_per_source_per_group():
    scores = np.array([[1.0, 0.0], [3.0, 1.0], [5.0, 2.0], [5.0, 4.0]])
    mask = np.array([[1, 1], [1, 1], [1, 1], [1, 0]], bool)
    got = group_standardize(scores, mask, n=2, eps=0.0)
    # group 0: both columns -> [-1, 1]; group 1: column 0 constant, column 1 one scored row
    np.testing.assert_allclose(got, [[-1, -1], [1, 1], [0, 0], [0, 0]])


def test_group_standardize_needs_groups():
    with pytest.raises(ValueError, match="n >= 2"):
        group_standardize(np.zeros((2, 1)), np.ones((2, 1), bool), n=1)


def test_conditioned_reward_counts_only_when_the_gate_passes():
    conds = parse_conditions({"fmt": {"gate": "acc", "threshold": 1.0}}, ["fmt", "acc"])
    assert conds == [(0, 1, 1.0)]
    scores = np.array([[0.5, 1.0], [0.7, 0.0], [0.9, 1.0]])
    mask = np.array([[1, 1], [1, 1], [1, 0]], bool)  # row 2's gate was not scored
    np.testing.assert_allclose(apply_conditions(scores, mask, conds), [[0.5, 1], [0, 0], [0, 1]])


@pytest.mark.parametrize(
    "conditions, match",
    [
        ({"nope": {"gate": "acc", "threshold": 1}}, "balancer.conditions.nope"),
        ({"fmt": {"gate": "fmt", "threshold": 1}}, "another reward"),
        ({"fmt": {"gate": "acc"}}, "gate and threshold"),
    ],
)
def test_bad_conditions_are_named(conditions, match):
    with pytest.raises(ValueError, match=match):
        parse_conditions(conditions, ["fmt", "acc"])


def _step(**kw) -> RewardStep:
    rs = RewardSet(NAMES, "all", OPTIONS)
    return RewardStep(build_mixer("static", NAMES), rs, **kw)


# "#### 1": fmt 1, short (2 words, L=3) 2/3, long (L=12) 1/6
# "a b c": fmt 0, short 1, long 1/4
TEXTS = ["#### 1", "a b c"]
EX = [Example(prompt="p", gold="1", metric="fmt")]


def test_reward_step_without_normalization_mixes_raw_scores():
    step = _step()
    r = step.score(step.decide(1), EX, TEXTS, n=2)
    np.testing.assert_allclose(r.mixed, [(1 + 2 / 3 + 1 / 6) / 3, (0 + 1 + 0.25) / 3])


def test_reward_step_gdpo_standardizes_each_reward_in_its_group_before_weighting():
    step = _step(normalize="gdpo")
    r = step.score(step.decide(1), EX, TEXTS, n=2)
    # each column becomes +-std/(std + 1e-4): fmt [1, -1] (std 1/2), short [-1, 1] (std 1/6),
    # long [-1, 1] (std 1/24)
    f, s, g = (x / (x + 1e-4) for x in (1 / 2, 1 / 6, 1 / 24))
    np.testing.assert_allclose(r.mixed, [(f - s - g) / 3, (-f + s + g) / 3])
    # the balancers still learn from the un-normalized scaled rewards
    np.testing.assert_allclose(r.scaled[:, 0], [1, 0])


def test_reward_step_condition_on_the_raw_gate():
    # long counts only where fmt >= 1: row 1's long reward becomes 0
    step = _step(conditions={"long": {"gate": "fmt", "threshold": 1.0}})
    r = step.score(step.decide(1), EX, TEXTS, n=2)
    np.testing.assert_allclose(r.mixed, [(1 + 2 / 3 + 1 / 6) / 3, (0 + 1 + 0) / 3])


def test_reward_step_refuses_unknown_normalization():
    with pytest.raises(ValueError, match="balancer.normalize='z'"):
        _step(normalize="z")


def test_reward_step_feeds_mo_grpo_the_per_sample_rewards():
    rs = RewardSet(NAMES, "all", OPTIONS)
    step = RewardStep(build_mixer("mo_grpo", NAMES), rs)
    decision = step.decide(1)
    step.feedback(decision, step.score(decision, EX, TEXTS, n=2), loss=0.0)
    # within-group stds: fmt 1/2, short 1/6, long 1/24; eps 0.01
    raw = 1 / (np.array([1 / 2, 1 / 6, 1 / 24]) + 0.01)
    np.testing.assert_allclose(step.decide(2).weights, raw / raw.sum())
