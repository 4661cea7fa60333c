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


def test_reward_set_aliases_and_only():
    from common.data.types import Example
    from common.rewards.reward_set import RewardSet

    rs = RewardSet(
        ["short", "long", "fmt"],
        routing="all",
        options={
            "short": {"scorer": "length_reward", "target_words": 2},
            "long": {"scorer": "length_reward", "target_words": 8},
            "fmt": {"scorer": "answer_format"},
        },
    )
    ex = [Example(prompt="q", gold=None, metric="x")] * 2
    table = rs.score(ex, ["a b", "#### 3"], only=["short"])
    # only the chosen source ran; its column: "a b" -> 1.0, "#### 3" (2 words) -> 1.0
    assert set(table.outputs) == {"short"}
    np.testing.assert_array_equal(table.mask[:, 1:], False)
    np.testing.assert_allclose(table.scores[:, 0], [1.0, 1.0])
    full = rs.score(ex, ["a b", "#### 3"])
    # long target 8: 1 - 6/8 = 0.25 for both
    np.testing.assert_allclose(full.scores[:, 1], [0.25, 0.25])
    np.testing.assert_allclose(full.scores[:, 2], [0.0, 1.0])


def test_noise_on_one_source_is_reproducible_and_only_there():
    from common.data.types import Example
    from common.rewards.reward_set import RewardSet

    opts = {
        "a": {"scorer": "length_reward", "target_words": 2},
        "b": {"scorer": "length_reward", "target_words": 2},
    }
    ex = [Example(prompt="q", gold=None, metric="x")] * 3
    outs = ["a b", "c d", "e f"]
    clean = RewardSet(["a", "b"], "all", opts).score(ex, outs).scores
    noisy1 = RewardSet(["a", "b"], "all", opts, noise={"name": "b", "sigma": 0.5}).score(ex, outs)
    noisy2 = RewardSet(["a", "b"], "all", opts, noise={"name": "b", "sigma": 0.5}).score(ex, outs)
    np.testing.assert_array_equal(noisy1.scores[:, 0], clean[:, 0])  # "a" untouched
    assert not np.allclose(noisy1.scores[:, 1], clean[:, 1])
    np.testing.assert_array_equal(noisy1.scores, noisy2.scores)  # same texts, same noise
    with pytest.raises(ValueError, match="rewards.noise.name='c'; allowed values: a, b"):
        RewardSet(["a", "b"], "all", opts, noise={"name": "c", "sigma": 1.0})


def test_max_resident_keeps_the_most_recent_scorers():
    from common.rewards.reward_set import RewardSet

    opts = {n: {"scorer": "length_reward"} for n in "abc"}
    rs = RewardSet(list("abc"), "all", opts, max_resident=2)
    rs.scorer("a"), rs.scorer("b"), rs.scorer("a"), rs.scorer("c")
    # "b" was least recently used when "c" arrived
    assert rs.resident() == ["a", "c"]
