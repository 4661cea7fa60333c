"""``balancer.statistic``: what the dynamic balancers learn from, chosen once in the reward
step (common.mixers.step). Weights hand-computed for both settings on fixed scores."""

from __future__ import annotations

import numpy as np
import pytest

from common.data.types import Example
from common.mixers.base import build_mixer
from common.mixers.step import RewardStep
from common.rewards.reward_set import ScoreTable

NAMES = ["weak", "strong"]
RAW = np.array([[0.2, 0.8], [0.2, 0.8]])  # (B, N): every row scores weak 0.2, strong 0.8
# the untrained policy's statistics (DRBO Eq. 3): weak started at 0.1 +- 0.1, strong 0.6 +- 0.4
MU, SD = np.array([0.1, 0.6]), np.array([0.1, 0.4])


class FixedRewards:
    """A reward set whose every row scores :data:`RAW` (no scorer runs)."""

    names = NAMES

    def score(self, rows, texts, step=None, allow=None) -> ScoreTable:
        b = len(texts)
        mask = np.ones((b, 2), bool)
        return ScoreTable(NAMES, RAW[:b].copy(), mask, np.zeros((b, 2), bool), {})


def standardize(raw: np.ndarray) -> np.ndarray:
    return (raw - MU) / SD  # weak: (0.2 - 0.1) / 0.1 = 1.0, strong: (0.8 - 0.6) / 0.4 = 0.5


def one_step(name: str, statistic: str, **options) -> tuple[RewardStep, dict]:
    """One step (B = 2 rows) of balancer ``name``, recomputing after it; (step, figures)."""
    mixer = build_mixer(name, NAMES, every=1, ucb=False, sample_metric=False, **options)
    step = RewardStep(mixer, FixedRewards(), transform=standardize, statistic=statistic)
    d = step.decide(1)
    r = step.score(d, [Example("p", "g", "m")], ["a", "b"], n=2)
    step.feedback(d, r, None)
    return step, step.figures(d, r, None)


def test_inverse_on_scaled_means_follows_the_paper():
    # x = scaled mean + 1 = [2.0, 1.5]; w ∝ [1/2, 1/1.5] = [3/7, 4/7]: the metric that
    # moved less from ITS start (strong) gets more, though weak is absolutely lower
    step, _ = one_step("inverse", "scaled")
    np.testing.assert_allclose(step.mixer.weights, [3 / 7, 4 / 7])


def test_inverse_on_raw_means_up_weights_the_absolutely_weakest():
    # x = raw mean + 1 = [1.2, 1.8]; w ∝ [5/6, 5/9] = [0.6, 0.4]
    step, figures = one_step("inverse", "raw")
    np.testing.assert_allclose(step.mixer.running, [0.2, 0.8])
    np.testing.assert_allclose(step.mixer.weights, [0.6, 0.4])
    # what is logged and what the policy is trained on stay the scaled rewards
    assert figures["scaled/weak"] == pytest.approx(1.0)
    assert figures["scaled/strong"] == pytest.approx(0.5)
    assert figures["reward"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)


@pytest.mark.parametrize(
    "statistic, x", [("scaled", [1.0, 0.5]), ("raw", [0.2, 0.8])], ids=["scaled", "raw"]
)
def test_every_dynamic_balancer_gets_the_statistic(statistic, x):
    # delta, tau = 1, W = 1/2: z = x / 2, w = softmax(z)
    step, _ = one_step("delta", statistic, temperature=1.0)
    z = np.asarray(x) / 2
    np.testing.assert_allclose(step.mixer.weights, np.exp(z) / np.exp(z).sum())
    # simple_inverse: 1 / (x + 1), normalized
    mixer = build_mixer("simple_inverse", NAMES, every=1)
    step = RewardStep(mixer, FixedRewards(), transform=standardize, statistic=statistic)
    d = step.decide(1)
    step.feedback(d, step.score(d, [Example("p", "g", "m")], ["a"], n=1), None)
    inv = 1 / (np.asarray(x) + 1)
    np.testing.assert_allclose(mixer.weights, inv / inv.sum())


def test_samples_follow_the_statistic():
    step = RewardStep(
        build_mixer("mo_grpo", NAMES), FixedRewards(), transform=standardize, statistic="raw"
    )
    d = step.decide(1)
    r = step.score(d, [Example("p", "g", "m")], ["a", "b"], n=2)
    np.testing.assert_allclose(step.gathered_samples(r).scores, RAW)
    np.testing.assert_allclose(r.scaled, standardize(RAW))


def test_unknown_statistic_names_the_allowed_values():
    mixer = build_mixer("inverse", NAMES)
    with pytest.raises(
        ValueError, match=r"balancer\.statistic='zscore'; allowed values: scaled, raw"
    ):
        RewardStep(mixer, FixedRewards(), statistic="zscore")


def test_raw_is_refused_for_a_mixer_that_does_not_learn_from_the_sources():
    with pytest.raises(ValueError, match=r"balancer\.statistic=raw: balancer .*Exp3"):
        RewardStep(build_mixer("exp3", NAMES), FixedRewards(), statistic="raw")
