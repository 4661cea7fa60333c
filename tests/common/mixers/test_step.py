"""The one reward step (common.mixers.step), single process: decide, score the chosen sources,
mix, feed back, log; per-batch and per-query granularity; the multi-type row rule."""

from __future__ import annotations

import numpy as np
import pytest

from common.data.types import Example
from common.mixers.base import build_mixer
from common.mixers.mab_reward import MABRewardScaler
from common.mixers.step import TIME_KEYS, RewardStep, rows_per_source
from common.rewards.reward_set import RewardSet

NAMES = ["fmt", "short", "long"]
OPTIONS = {
    "fmt": {"scorer": "answer_format"},
    "short": {"scorer": "length_reward", "target_words": 3},
    "long": {"scorer": "length_reward", "target_words": 12},
}


def cheap_rewards() -> RewardSet:
    return RewardSet(NAMES, "all", OPTIONS)


def examples(g: int) -> list[Example]:
    return [Example(prompt=f"p{i}", gold="1", metric="fmt") for i in range(g)]


# Four prompts whose contexts point along different axes: LinUCB's decisions and updates
# can then be traced prompt by prompt.
CONTEXTS = {f"p{i}": np.eye(4)[i] for i in range(4)}


def fake_context(prompts: list[str]) -> np.ndarray:
    return np.stack([CONTEXTS[p] for p in prompts])


class TestRowsPerSource:
    def test_sampled_arm_takes_the_whole_batch(self) -> None:
        counts = rows_per_source(np.array([0.2, 0.8]), 0, 6, np.random.default_rng(0))
        np.testing.assert_array_equal(counts, [6, 0])

    def test_without_an_arm_each_row_follows_the_weights(self) -> None:
        w = np.array([0.6, 0.1, 0.3])
        rng = np.random.default_rng(0)
        total = sum(rows_per_source(w, None, 10, rng) for _ in range(2000))
        # 20000 rows: binomial std of each share <= 0.0035; allow ~4 std
        np.testing.assert_allclose(total / 20000, w, atol=0.015)


class TestBatchGranularity:
    def test_one_hot_arm_scores_only_its_source_and_logs_it(self) -> None:
        step = RewardStep(build_mixer("single", NAMES, metric="short"), cheap_rewards())
        d = step.decide(1)
        texts = ["one two three", "a", "one two three four", "x y"]  # G=2 prompts x n=2
        r = step.score(d, examples(2), texts, n=2)
        # only 'short' ran: the other columns are masked, their models never called
        assert r.table.mask[:, 1].all() and not r.table.mask[:, [0, 2]].any()
        # length_reward(target 3) is 1 at 3 words; the mixed reward is that column
        np.testing.assert_allclose(r.mixed, r.table.scores[:, 1])
        assert r.per_prompt().shape == (2, 2)
        figures = step.figures(d, r, step.feedback(d, r, 0.5))
        assert figures["arm"] == "short" and figures["weight/short"] == 1.0
        assert "reward/fmt" not in figures and figures["mab_reward"] is None
        assert set(TIME_KEYS) <= set(step.time_figures(generate_s=1.0))

    @pytest.mark.parametrize(
        "name, kwargs", [("average", {"every": 1}), ("ensemble", {}), ("static", {})]
    )
    def test_dense_mixers_log_no_invented_arm(self, name: str, kwargs: dict) -> None:
        """Issue 20, defect 4: the LASeR ``average`` ensemble logged an ``arm`` it never
        used. A sampled metric that chose neither the reward nor the data is logged as
        ``sampled_metric``, never as ``arm``."""
        step = RewardStep(build_mixer(name, NAMES, **kwargs), cheap_rewards())
        d = step.decide(1)
        r = step.score(d, examples(1), ["one two three", "a"], n=2)
        assert r.table.mask.all()  # every reward model scored: it is an ensemble
        np.testing.assert_allclose(r.mixed, r.table.scores.mean(1))
        figures = step.figures(d, r, step.feedback(d, r, 0.5))
        assert "arm" not in figures
        assert ("sampled_metric" in figures) == (name == "average")

    def test_feedback_teaches_the_bandit_the_scaled_loss(self) -> None:
        step = RewardStep(
            build_mixer("linucb", NAMES, seed=0),
            cheap_rewards(),
            context=fake_context,
            mab=MABRewardScaler(min_history=1),
        )
        d = step.decide(1, ["p0", "p1"])
        np.testing.assert_allclose(d.context, [0.5, 0.5, 0, 0])  # mean of the two prompts
        r = step.score(d, examples(2), ["a"] * 4, n=2)
        assert step.feedback(d, r, 1.0) == 0.5  # one value in the history: flat, neutral
        b = step.mixer.b[d.arm]
        np.testing.assert_allclose(b, 0.5 * np.array([1, 1, 0, 0]) / np.sqrt(2))

    def test_no_rank_trained_is_the_worst_reward(self) -> None:
        step = RewardStep(
            build_mixer("exp3", NAMES, seed=0), cheap_rewards(), mab=MABRewardScaler()
        )
        d = step.decide(1)
        r = step.score(d, examples(1), ["a", "a"], n=2)
        assert step.feedback(d, r, None) == 0.0


class TestQueryGranularity:
    def test_each_prompt_gets_its_own_arm_and_each_arm_learns_its_rows(self) -> None:
        mixer = build_mixer("linucb", NAMES, alpha=1.0, seed=0)
        # arm k is preferred on prompt p_k: b_k = 5 e_k (contexts are unit vectors)
        mixer._init_arms(4)
        for k in range(3):
            mixer.b[k] = 5 * np.eye(4)[k]
        step = RewardStep(
            mixer,
            cheap_rewards(),
            granularity="query",
            context=fake_context,
            mab=MABRewardScaler(min_history=1, low_q=0.0, high_q=1.0),
        )
        prompts = ["p0", "p1", "p2"]
        d = step.decide(1, prompts)
        assert [x.arm for x in d.per_prompt] == [0, 1, 2]
        r = step.score(d, examples(3), ["one two three"] * 6, n=2)
        # row i is scored by its own prompt's arm only
        expected = np.repeat(np.eye(3, dtype=bool), 2, axis=0)
        np.testing.assert_array_equal(r.table.mask, expected)
        a_inv_before = mixer.A_inv.copy()
        b_before = mixer.b.copy()
        # per-prompt losses: prompt 1 built no pair (None -> MAB reward 0, still learned)
        mab = step.feedback(d, r, [1.0, None, 3.0])
        for k in range(3):
            c = np.eye(4)[k]
            a = np.linalg.inv(a_inv_before[k]) + np.outer(c, c)  # only its own context
            np.testing.assert_allclose(np.linalg.inv(mixer.A_inv[k]), a, atol=1e-12)
        # MAB rewards in order: -1 (history [-1]: flat, 0.5), None -> 0, -3 (min: 0)
        np.testing.assert_allclose(mixer.b - b_before, np.diag([0.5, 0.0, 0.0, 0.0])[:3])
        assert mab == pytest.approx((0.5 + 0.0 + 0.0) / 3)
        figures = step.figures(d, r, mab)
        assert figures["arms"] == "fmt,short,long"
        assert figures["weight/fmt"] == pytest.approx(1 / 3)

    def test_balancers_that_learn_per_step_refuse_query_granularity(self) -> None:
        with pytest.raises(ValueError, match="granularity=query"):
            RewardStep(build_mixer("inverse", NAMES), cheap_rewards(), granularity="query")

    def test_unknown_granularity_lists_the_allowed_values(self) -> None:
        with pytest.raises(ValueError, match="allowed values: batch, query"):
            RewardStep(build_mixer("random", NAMES), cheap_rewards(), granularity="row")
