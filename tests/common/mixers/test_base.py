import numpy as np
import pytest

from common.mixers.base import Feedback, MixDecision, RewardMixer, build_mixer, mix_rewards


def test_single_task_mix_is_weighted_sum():
    scores = np.array([[1.0, -1.0, 0.5]])
    mask = np.ones((1, 3), dtype=bool)
    # 0.5*1 + 0.25*-1 + 0.25*0.5 = 0.375
    assert mix_rewards(scores, mask, np.array([0.5, 0.25, 0.25]))[0] == pytest.approx(0.375)


def test_multi_type_mix_is_the_sample_own_metric():
    scores = np.array([[2.0, 9.0], [9.0, -1.0], [0.0, 0.0]])
    mask = np.array([[True, False], [False, True], [False, False]])
    # row 0 -> its metric a: 2.0; row 1 -> metric b: -1.0; row 2 has no metric -> 0
    np.testing.assert_allclose(mix_rewards(scores, mask, np.array([0.9, 0.1])), [2.0, -1.0, 0.0])


def test_one_hot_weights_pick_one_source():
    scores = np.array([[0.2, 0.7], [0.4, 0.1]])
    np.testing.assert_allclose(
        mix_rewards(scores, np.ones((2, 2)), np.array([0.0, 1.0])), [0.7, 0.1]
    )


def test_registry_refuses_unknown_names_with_allowed_values():
    with pytest.raises(KeyError, match="allowed values:.*inverse"):
        build_mixer("inverted", ["a", "b"])


def test_base_class_checks_names():
    class Fixed(RewardMixer):
        def decide(self, step, context=None):
            return MixDecision(self.one_hot(self.n, 0))

    with pytest.raises(ValueError, match="unique"):
        Fixed(["a", "a"])
    m = Fixed(["a", "b"])
    m.update(Feedback(step=1))  # static mixers ignore feedback
    np.testing.assert_array_equal(m.decide(1).weights, [1.0, 0.0])
