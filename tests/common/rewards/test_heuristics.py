import numpy as np
import pytest

from common.rewards.heuristics import AnswerFormat, LengthReward


def test_answer_format():
    out = AnswerFormat()(
        ["q"] * 4, ["so #### 12", "The answer is 7.", "about 5 apples", None], [None] * 4
    )
    np.testing.assert_array_equal(out.scores, [1, 1, 0, 0])


def test_length_reward_by_hand():
    out = LengthReward(target_words=4)(
        ["q"] * 3, ["a b c d", "a b", "a b c d e f g h i"], [None] * 3
    )
    # |4-4|/4 = 0 -> 1 ; |2-4|/4 = .5 -> .5 ; |9-4|/4 > 1 -> 0
    np.testing.assert_allclose(out.scores, [1.0, 0.5, 0.0])
    with pytest.raises(ValueError):
        LengthReward(target_words=0)
