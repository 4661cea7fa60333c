"""MO-GRPO, correlation-aware weighting and linear Thompson sampling, against hand-computed
values."""

import numpy as np
import pytest

from common.mixers.base import Feedback, SourceSamples, build_mixer
from common.mixers.correlation import group_centered_correlation
from common.mixers.mo_grpo import within_group_variance


def _samples(scores, groups, mask=None):
    scores = np.asarray(scores, dtype=float)
    m = np.ones_like(scores, bool) if mask is None else np.asarray(mask, bool)
    return SourceSamples(scores=scores, mask=m, groups=np.asarray(groups))


class TestMOGRPO:
    S = _samples([[0, 0], [2, 1], [1, 0], [1, 1]], [0, 0, 1, 1])

    def test_within_group_variance(self):
        # col 0: groups [0, 2] var 1 and [1, 1] var 0 -> 0.5; col 1: 0.25 and 0.25
        np.testing.assert_allclose(within_group_variance(self.S), [0.5, 0.25])

    def test_single_rows_fall_back_to_the_batch_variance(self):
        s = _samples([[0.0], [2.0]], [0, 1])
        np.testing.assert_allclose(within_group_variance(s), [1.0])

    def test_weights_inverse_to_the_std(self):
        mixer = build_mixer("mo_grpo", ["a", "b"], eps=1e-9)
        np.testing.assert_allclose(mixer.decide(1).weights, [0.5, 0.5])  # nothing seen yet
        mixer.update(Feedback(step=1, samples=self.S))
        inv = np.array([1 / np.sqrt(0.5), 1 / 0.5])
        np.testing.assert_allclose(mixer.decide(2).weights, inv / inv.sum())  # [0.414, 0.586]

    def test_momentum_and_state(self):
        mixer = build_mixer("mo_grpo", ["a", "b"], momentum=0.5)
        mixer.update(Feedback(step=1, samples=self.S))
        mixer.update(Feedback(step=2, samples=_samples([[0, 0], [0, 0]], [0, 0])))
        np.testing.assert_allclose(mixer.variance, [0.25, 0.125])
        other = build_mixer("mo_grpo", ["a", "b"], momentum=0.5)
        other.load_state_dict(mixer.state_dict())
        np.testing.assert_array_equal(other.decide(3).weights, mixer.decide(3).weights)


class TestCorrelation:
    # a and b identical, c = 1 - a; groups of two
    S = _samples([[0, 0, 1], [1, 1, 0], [0, 0, 1], [1, 1, 0]], [0, 0, 1, 1])

    def test_group_centered_correlation(self):
        expected = [[1, 1, -1], [1, 1, -1], [-1, -1, 1]]
        np.testing.assert_allclose(group_centered_correlation(self.S), expected)

    def test_redundant_rewards_share_conflicting_ones_gain(self):
        mixer = build_mixer("correlation", ["a", "b", "c"])
        np.testing.assert_allclose(mixer.decide(1).weights, [1 / 3] * 3)
        mixer.update(Feedback(step=1, samples=self.S))
        # c_j = [0, 0, -1] -> u = [1, 1, 2]
        np.testing.assert_allclose(mixer.decide(2).weights, [0.25, 0.25, 0.5])

    def test_hardness_divides_by_the_level(self):
        mixer = build_mixer("correlation", ["a", "b", "c"], hardness=True)
        means = {"a": 0.0, "b": 1.0, "c": -0.5}
        mixer.update(Feedback(step=1, samples=self.S, source_rewards=means))
        raw = np.array([1 / 1, 1 / 2, 2 / 0.5])  # u_j / (m_j + 1)
        np.testing.assert_allclose(mixer.decide(2).weights, raw / raw.sum())

    def test_rows_not_scored_by_every_source_are_left_out(self):
        s = _samples([[0, 0], [1, 1]], [0, 1], mask=[[1, 0], [1, 1]])
        assert np.isnan(group_centered_correlation(s)).all()


class TestThompson:
    def test_greedy_when_v_is_zero(self):
        ts = build_mixer("thompson", ["a", "b"], v=0.0)
        c = np.array([1.0, 0.0])
        ts.update(Feedback(step=1, arm=1, scalar=1.0, context=c))
        assert ts.decide(2, c).arm == 1

    def test_sample_has_the_posterior_mean_and_variance(self):
        # after one update of arm 0 with c = e1, r = 1: A_0 = diag(2, 1), b_0 = e1, so
        # c . theta ~ N(1/2, v^2 / 2); arm 1 is untouched: N(0, v^2)
        ts = build_mixer("thompson", ["a", "b"], v=2.0, seed=3)
        c = np.array([1.0, 0.0])
        ts.update(Feedback(step=1, arm=0, scalar=1.0, context=c))
        draws = np.array([(ts.decide(2, c), ts.last_scores)[1] for _ in range(4000)])
        assert draws[:, 0].mean() == pytest.approx(0.5, abs=0.1)
        assert draws[:, 0].var() == pytest.approx(2.0, rel=0.1)
        assert draws[:, 1].var() == pytest.approx(4.0, rel=0.1)

    def test_resumed_state_draws_the_same_arms(self):
        ts = build_mixer("thompson", ["a", "b", "c"], seed=1)
        c = np.array([0.3, 0.7])
        for t in range(5):
            d = ts.decide(t + 1, c)
            ts.update(Feedback(step=t + 1, arm=d.arm, scalar=float(d.arm == 2), context=c))
        other = build_mixer("thompson", ["a", "b", "c"], seed=99)
        other.load_state_dict(ts.state_dict())
        assert [ts.decide(9, c).arm for _ in range(20)] == [
            other.decide(9, c).arm for _ in range(20)
        ]

    def test_negative_v_refused(self):
        with pytest.raises(ValueError, match="v must be >= 0"):
            build_mixer("thompson", ["a"], v=-1.0)
