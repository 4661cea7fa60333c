"""DRBO balancers against hand-computed weights (arithmetic in the comments)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from common.mixers.average import AverageBalancer
from common.mixers.base import Feedback, RewardMixer, build_mixer
from common.mixers.delta import DeltaBalancer
from common.mixers.inverse import InverseBalancer
from common.mixers.sequential import SequentialBalancer
from common.mixers.simple_inverse import SimpleInverseBalancer
from common.mixers.single import SingleMetricBalancer
from common.mixers.static import StaticBalancer

AB = ["a", "b"]
SHOPPING = [
    "ner_f1",
    "hit_at_3",
    "mc_accuracy",
    "ndcg",
    "sent_sim",
    "bleu4",
    "multilingual_sim",
    "rouge_l",
]
ALL = [
    "average",
    "inverse",
    "delta",
    "static",
    "ensemble",
    "sequential",
    "single",
    "simple_inverse",
]
DYNAMIC = ["average", "inverse", "delta", "simple_inverse"]
CONF = Path(__file__).resolve().parents[3] / "conf" / "balancer"


def feed(mixer: RewardMixer, step: int, a: float, b: float, arm: int | None) -> None:
    mixer.update(Feedback(step=step, arm=arm, source_rewards={"a": a, "b": b}))


def run_random(mixer: RewardMixer, steps: int, seed: int = 0) -> list[np.ndarray]:
    """Drive ``mixer`` with random scaled rewards; returns the weights of every step."""
    rng = np.random.default_rng(seed)
    out = []
    for t in range(1, steps + 1):
        d = mixer.decide(t)
        out.append(d.weights)
        rewards = dict(zip(mixer.names, rng.normal(0.3 * t / steps, 1.0, mixer.n), strict=True))
        mixer.update(Feedback(step=t, arm=d.arm, source_rewards=rewards))
    return out


class TestAverage:
    def test_uniform_and_constant(self) -> None:
        bal = AverageBalancer(AB, every=2)
        feed(bal, 1, 5.0, -5.0, 0)
        feed(bal, 2, 5.0, -5.0, 0)  # recompute: average ignores the rewards
        np.testing.assert_allclose(bal.decide(3).weights, [0.5, 0.5])

    def test_preset_normalized(self) -> None:
        bal = AverageBalancer(AB, weights={"a": 3, "b": 1})
        np.testing.assert_allclose(bal.decide(1).weights, [0.75, 0.25])


class TestInverse:
    # every=2; scaled rewards a: 0.5, 1.5, 1.0, 1.0 / b: -0.5, -0.5, 0.0, -1.0; arms 0, 1, 1, 1.
    def test_hand_computed(self) -> None:
        bal = InverseBalancer(AB, every=2)
        np.testing.assert_allclose(bal.decide(1).weights, [0.5, 0.5])  # W before 1st recompute
        feed(bal, 1, 0.5, -0.5, 0)
        np.testing.assert_allclose(bal.decide(2).weights, [0.5, 0.5])  # 1 % 2 != 0: no recompute
        feed(bal, 2, 1.5, -0.5, 1)
        # t=2: running a = (0.5+1.5)/2 = 1.0, b = -0.5; counts (start 1) = [2, 2]
        # bonus = sqrt(2 ln 2 / 2) = 0.832555 for both
        # x̂ = [1.0+1+0.832555, -0.5+1+0.832555] = [2.832555, 1.332555]
        # z = 0.5/x̂ -> w = [1/2.832555, 1/1.332555] / sum = [0.319933, 0.680067]
        np.testing.assert_allclose(bal.bonus(2), [0.8325546112, 0.8325546112])
        np.testing.assert_allclose(bal.decide(3).weights, [0.3199326932, 0.6800673068])
        feed(bal, 3, 1.0, 0.0, 1)
        feed(bal, 4, 1.0, -1.0, 1)
        # t=4: running a = 4/4 = 1.0, b = -2/4 = -0.5; counts = [2, 4]
        # bonus a = sqrt(2 ln 4 / 2) = 1.177410, b = sqrt(2 ln 4 / 4) = 0.832555
        # x̂ = [3.177410, 1.332555] -> w = [0.295469, 0.704531]
        np.testing.assert_allclose(
            bal.bonus(4), [math.sqrt(math.log(4)), math.sqrt(math.log(4) / 2)]
        )
        np.testing.assert_allclose(bal.decide(5).weights, [0.2954689714, 0.7045310286])

    def test_without_ucb(self) -> None:
        bal = InverseBalancer(AB, every=1, ucb=False)
        feed(bal, 1, 1.0, 0.0, 0)
        # x = [2, 1] -> z = [1/4, 1/2] -> w = [1/3, 2/3]
        np.testing.assert_allclose(bal.decide(2).weights, [1 / 3, 2 / 3])

    def test_preset_multiplies(self) -> None:
        bal = InverseBalancer(AB, every=1, ucb=False, weights={"a": 2, "b": 1})
        feed(bal, 1, 1.0, 0.0, 0)
        # W = [2/3, 1/3]; x = [2, 1] -> z = [1/3, 1/3] -> w = [0.5, 0.5]
        np.testing.assert_allclose(bal.decide(2).weights, [0.5, 0.5])

    def test_weakest_metric_gets_largest_weight(self) -> None:
        names = ["m0", "m1", "m2", "m3"]
        bal = InverseBalancer(names, every=5, sample_metric=False, seed=1)
        means = [0.8, -0.6, 0.2, 1.5]  # m1 lags furthest behind
        rng = np.random.default_rng(0)
        for t in range(1, 51):
            r = {m: mu + 0.05 * rng.standard_normal() for m, mu in zip(names, means, strict=True)}
            bal.update(Feedback(step=t, source_rewards=r))
        w = bal.decide(51).weights
        assert int(np.argmax(w)) == 1
        assert list(np.argsort(w)) == [3, 0, 2, 1]  # ordered inversely to the mean reward

    def test_floor_guards_metric_below_minus_one(self) -> None:
        bal = InverseBalancer(AB, every=1, ucb=False, floor=0.01)
        feed(bal, 1, 0.0, -3.0, 0)
        # x = [1, -2] -> x̂ = [1, 0.01] -> z = [0.5, 50] -> w = [1/101, 100/101]
        np.testing.assert_allclose(bal.decide(2).weights, [1 / 101, 100 / 101])


class TestDelta:
    # every=2; scaled rewards a: 0.2, 0.4, 0.6, 1.0 / b: 0.0, -0.2, 0.0, 0.2; arms 0, 0, 1, 1.
    def test_hand_computed(self) -> None:
        bal = DeltaBalancer(AB, every=2)
        feed(bal, 1, 0.2, 0.0, 0)
        feed(bal, 2, 0.4, -0.2, 0)
        # t=2: running = [0.3, -0.1]; previous recompute: none -> 0; change x = [0.3, -0.1]
        # counts = [3, 1]; bonus = [sqrt(2 ln 2 / 3), sqrt(2 ln 2)] = [0.679778, 1.177410]
        # x̂ = [0.979778, 1.077410]; z = W x̂ = 0.5 x̂; tau = 0.01 * 2 = 0.02
        # z/tau = [24.494450, 26.935251] -> softmax = [0.080114, 0.919886]
        np.testing.assert_allclose(bal.decide(3).weights, [0.0801138823, 0.9198861177])
        feed(bal, 3, 0.6, 0.0, 1)
        feed(bal, 4, 1.0, 0.2, 1)
        # t=4: running = [2.2/4, 0/4] = [0.55, 0.0]; change since t=2: x = [0.25, 0.1]
        # counts = [3, 3] -> equal bonus sqrt(2 ln 4 / 3) = 0.961351, cancels in the softmax
        # tau = 0.04; z/tau difference = 0.5 * 0.15 / 0.04 = 1.875 -> w_a = 1/(1+e^-1.875)
        np.testing.assert_allclose(bal.decide(5).weights, [0.8670357598, 0.1329642402])

    def test_constant_temperature(self) -> None:
        bal = DeltaBalancer(AB, every=2, temperature=1.0)
        assert bal.tau(2) == 1.0 and DeltaBalancer(AB).tau(7) == pytest.approx(0.07)
        feed(bal, 1, 0.2, 0.0, 0)
        feed(bal, 2, 0.4, -0.2, 0)
        # same x̂ as above; z = 0.5 x̂ / 1 -> w_b = 1/(1+exp(-0.5*(1.077410-0.979778))) = 0.512202
        np.testing.assert_allclose(bal.decide(3).weights, [0.4877984193, 0.5122015807])

    def test_improving_metric_wins_without_ucb(self) -> None:
        bal = DeltaBalancer(AB, every=1, ucb=False, temperature=0.1)
        feed(bal, 1, 0.5, 0.0, 0)
        # x = [0.5, 0]; z/tau = 0.5 * [0.5, 0] / 0.1 = [2.5, 0] -> w_a = 1/(1+e^-2.5) = 0.924142
        np.testing.assert_allclose(bal.decide(2).weights, [0.9241418200, 0.0758581800])

    def test_no_overflow_at_tiny_temperature(self) -> None:
        bal = DeltaBalancer(AB, every=1, ucb=False, temperature=1e-6)
        feed(bal, 1, 100.0, 0.0, 0)
        np.testing.assert_allclose(bal.decide(2).weights, [1.0, 0.0])

    def test_bad_temperature(self) -> None:
        with pytest.raises(ValueError, match="temperature"):
            DeltaBalancer(AB, temperature=0.0)


class TestStatic:
    def test_alarm_3_1_1(self) -> None:
        bal = StaticBalancer(
            ["ner_f1", "rouge_l", "bleu4"], weights={"ner_f1": 3, "rouge_l": 1, "bleu4": 1}
        )
        d = bal.decide(1)
        np.testing.assert_allclose(d.weights, [0.6, 0.2, 0.2])  # 3/5, 1/5, 1/5
        assert d.arm is None
        bal.update(Feedback(step=1, source_rewards={"ner_f1": 9.0, "rouge_l": 0.0, "bleu4": 0.0}))
        np.testing.assert_allclose(bal.decide(500).weights, [0.6, 0.2, 0.2])

    def test_default_uniform(self) -> None:
        np.testing.assert_allclose(StaticBalancer(AB).decide(1).weights, [0.5, 0.5])


class TestSequential:
    def test_switches_every_steps_per_metric(self) -> None:
        bal = SequentialBalancer(["a", "b", "c"], steps_per_metric=2)
        arms = [bal.decide(t).arm for t in range(1, 9)]
        assert arms == [0, 0, 1, 1, 2, 2, 0, 0]  # cycles after c
        np.testing.assert_array_equal(bal.decide(3).weights, [0.0, 1.0, 0.0])

    def test_order_and_no_cycle(self) -> None:
        bal = SequentialBalancer(["a", "b", "c"], steps_per_metric=1, order=["c", "a"], cycle=False)
        assert [bal.decide(t).arm for t in range(1, 5)] == [2, 0, 0, 0]

    def test_bad_options(self) -> None:
        with pytest.raises(ValueError, match="'z'"):
            SequentialBalancer(AB, order=["a", "z"])
        with pytest.raises(ValueError, match="steps_per_metric"):
            SequentialBalancer(AB, steps_per_metric=0)


class TestSingle:
    def test_one_hot_on_named_metric(self) -> None:
        bal = SingleMetricBalancer(SHOPPING, metric="ner_f1")
        for t in (1, 10, 1000):
            d = bal.decide(t)
            assert d.arm == 0 and d.weights[0] == 1.0 and d.weights.sum() == 1.0

    def test_unknown_metric(self) -> None:
        with pytest.raises(ValueError, match="'nerf1'"):
            SingleMetricBalancer(SHOPPING, metric="nerf1")


class TestSimpleInverse:
    def test_hand_computed_no_ucb_no_arm(self) -> None:
        bal = SimpleInverseBalancer(AB, every=2)
        feed(bal, 1, 0.5, -0.5, None)
        feed(bal, 2, 1.5, -0.5, None)
        # running = [1.0, -0.5] -> x + 1 = [2, 0.5] -> z = [1/2, 2] -> w = [0.2, 0.8]
        d = bal.decide(3)
        np.testing.assert_allclose(d.weights, [0.2, 0.8])
        assert d.arm is None
        np.testing.assert_array_equal(bal.bonus(3), [0.0, 0.0])

    def test_takes_no_ucb_option(self) -> None:
        with pytest.raises(TypeError):
            SimpleInverseBalancer(AB, ucb=True)


class TestShared:
    @pytest.mark.parametrize("name", ALL)
    def test_weights_are_a_distribution(self, name: str) -> None:
        kwargs = {"every": 3} if name in DYNAMIC else {}
        if name == "sequential":
            kwargs = {"total_steps": 40}
        for w in run_random(build_mixer(name, SHOPPING, **kwargs), steps=40):
            assert w.shape == (len(SHOPPING),)
            assert np.all(w >= 0)
            assert w.sum() == pytest.approx(1.0)

    @pytest.mark.parametrize("name", ["average", "inverse", "delta"])
    def test_sampled_metric_follows_weights(self, name: str) -> None:
        bal = build_mixer(name, AB, every=1, seed=123, ucb=False)
        feed(bal, 1, 1.0, -0.4, 0)  # moves weights away from uniform (inverse: [0.231, 0.769])
        w = bal.decide(2).weights
        draws = np.array([bal.decide(2).arm for _ in range(20000)])
        # binomial std of the frequency: sqrt(p(1-p)/20000) <= 0.0036; allow ~4 std
        assert np.mean(draws == 1) == pytest.approx(w[1], abs=0.015)

    def test_counts_follow_arms(self) -> None:
        bal = InverseBalancer(AB, every=100)
        for t, arm in enumerate([0, 0, 1, 0], start=1):
            feed(bal, t, 0.0, 0.0, arm)
        np.testing.assert_array_equal(bal.counts, [4, 2])  # 1 + three 0s, 1 + one 1
        nosample = InverseBalancer(AB, every=100, sample_metric=False)
        assert nosample.decide(1).arm is None
        for t in range(1, 4):
            feed(nosample, t, 0.0, 0.0, None)
        np.testing.assert_array_equal(nosample.counts, [4, 4])  # every metric observed each step

    @pytest.mark.parametrize("name", DYNAMIC)
    def test_state_roundtrip_reproduces_next_decisions(self, name: str) -> None:
        original = build_mixer(name, SHOPPING, every=3, seed=7)
        run_random(original, steps=10, seed=1)
        restored = build_mixer(name, SHOPPING, every=3, seed=999)  # seed overwritten by state
        restored.load_state_dict(json.loads(json.dumps(original.state_dict())))
        rng = np.random.default_rng(5)
        for t in range(11, 21):
            d1, d2 = original.decide(t), restored.decide(t)
            np.testing.assert_array_equal(d1.weights, d2.weights)
            assert d1.arm == d2.arm
            r = dict(zip(SHOPPING, rng.normal(size=len(SHOPPING)), strict=True))
            original.update(Feedback(step=t, arm=d1.arm, source_rewards=r))
            restored.update(Feedback(step=t, arm=d2.arm, source_rewards=r))

    def test_same_seed_same_arms(self) -> None:
        a, b = InverseBalancer(SHOPPING, seed=3), InverseBalancer(SHOPPING, seed=3)
        assert [a.decide(t).arm for t in range(1, 30)] == [b.decide(t).arm for t in range(1, 30)]

    def test_load_state_for_other_names_refused(self) -> None:
        state = InverseBalancer(AB).state_dict()
        with pytest.raises(ValueError, match="rewards"):
            InverseBalancer(["a", "c"]).load_state_dict(state)

    @pytest.mark.parametrize("name", ["average", "inverse", "delta", "static", "simple_inverse"])
    def test_bad_weights_keys_are_named(self, name: str) -> None:
        with pytest.raises(ValueError, match=r"extra keys: \['c'\], missing keys: \['b'\]"):
            build_mixer(name, AB, weights={"a": 1.0, "c": 1.0})

    def test_negative_or_zero_weights(self) -> None:
        with pytest.raises(ValueError, match=r"bad keys: \['b'\]"):
            StaticBalancer(AB, weights={"a": 1.0, "b": -1.0})
        with pytest.raises(ValueError, match="all be 0"):
            StaticBalancer(AB, weights={"a": 0, "b": 0})

    @pytest.mark.parametrize("every", [0, -1, 1.5])
    def test_every_must_be_positive(self, every) -> None:
        with pytest.raises(ValueError, match="every"):
            InverseBalancer(AB, every=every)

    def test_unknown_reward_in_feedback(self) -> None:
        with pytest.raises(KeyError, match="'zz'"):
            InverseBalancer(AB).update(Feedback(step=1, arm=0, source_rewards={"zz": 0.0}))

    def test_partial_feedback_updates_only_the_observed_metric(self) -> None:
        # multi-type runs: a batch holds one task, so only that metric's reward arrives.
        b = InverseBalancer(AB, every=10)
        b.update(Feedback(step=1, arm=0, source_rewards={"a": 1.0}))
        b.update(Feedback(step=2, arm=1, source_rewards={"b": -0.5}))
        b.update(Feedback(step=3, arm=0, source_rewards={"a": 0.0}))
        # a: mean(1.0, 0.0) = 0.5 over its 2 observations; b: -0.5 over 1
        np.testing.assert_allclose(b.running, [0.5, -0.5])
        np.testing.assert_allclose(b.observed, [2, 1])

    @pytest.mark.parametrize("name", sorted(p.stem for p in CONF.glob("*.yaml")))
    @pytest.mark.parametrize("rewards", [SHOPPING, ["exact", "judge", "format", "length"]])
    def test_yaml_builds_over_any_rewards_group(self, name: str, rewards: list[str]) -> None:
        """Every YAML of the ``balancer`` group (a new one included) works with any rewards
        group as shipped (issue 20, defect 6: static and single hard-coded the shopping
        metric names)."""
        from common.mixers.base import build_run_mixer
        from experiments.compose import compose_config

        # composed as a run composes it: the preset over its schema (BalancerConfig)
        cfg = compose_config("+exp=debug", f"balancer={name}", "seed=11", "trainer.steps=8")
        assert cfg.balancer.name == name
        mixer = build_run_mixer(cfg.balancer, rewards)
        assert cfg.balancer.granularity in ("batch", "query")
        w = mixer.decide(1, np.ones(8) if mixer.needs_context else None).weights
        assert w.sum() == pytest.approx(1.0)
        if name in ("static", "ensemble"):
            np.testing.assert_allclose(w, np.full(len(rewards), 1 / len(rewards)))
        if name == "single":
            assert mixer.decide(1).arm == 0  # the first reward


class TestSequentialDefaultPeriod:
    def test_period_follows_the_run_length(self) -> None:
        """Issue 20, defect 5: a fixed 100-step period never left the first arm of an 8-step
        run; the default is ceil(steps / K)."""
        bal = SequentialBalancer(["a", "b", "c", "d"], total_steps=8)
        assert [bal.decide(t).arm for t in range(1, 9)] == [0, 0, 1, 1, 2, 2, 3, 3]
        bal = SequentialBalancer(["a", "b", "c"], total_steps=8)  # ceil(8 / 3) = 3
        assert [bal.decide(t).arm for t in range(1, 9)] == [0, 0, 0, 1, 1, 1, 2, 2]

    def test_yaml_visits_every_source_in_a_short_run(self) -> None:
        from common.mixers.base import build_run_mixer
        from experiments.compose import compose_config

        cfg = compose_config("+exp=debug", "balancer=sequential", "trainer.steps=8")
        bal = build_run_mixer(cfg.balancer, ["exact", "judge", "format", "length"])
        assert {bal.decide(t).arm for t in range(1, 9)} == {0, 1, 2, 3}

    def test_needs_a_period_or_the_run_length(self) -> None:
        with pytest.raises(ValueError, match="total_steps"):
            SequentialBalancer(["a", "b"])
