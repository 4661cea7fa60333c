"""LASeR's MAB reward scaling against hand-computed quantiles (arithmetic in the comments).

numpy's default quantile of sorted values v_0..v_{n-1} at q: position q (n - 1), linear
interpolation between the neighbouring order statistics.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from common.mixers.mab_reward import MABRewardScaler


class TestScaling:
    def test_hand_computed(self) -> None:
        s = MABRewardScaler()
        assert s(1.0) == 0.5 and s(2.0) == 0.5  # fewer than 3 values: neutral
        # x = -3; H sorted [-3,-2,-1]: q20 at 0.4 -> -2.6, q80 at 1.6 -> -1.4
        # (-3 + 2.6) / 1.2 < 0 -> clipped to 0
        assert s(3.0) == 0.0
        # x = -1.5; H sorted [-3,-2,-1.5,-1]: q20 at 0.6 -> -3 + 0.6 = -2.4,
        # q80 at 2.4 -> -1.5 + 0.4 * 0.5 = -1.3; r = 0.9 / 1.1 = 0.818182
        assert s(1.5) == pytest.approx(0.9 / 1.1)
        # x = -0.5 (record-low loss); q20 at 0.8 -> -2.2, q80 at 3.2 -> -0.9
        # (-0.5 + 2.2) / 1.3 = 1.31 -> clipped to 1
        assert s(0.5) == 1.0
        assert list(s.history) == [-1.0, -2.0, -3.0, -1.5, -0.5]

    def test_short_history_is_recorded(self) -> None:
        s = MABRewardScaler(min_history=5)
        assert [s(v) for v in (4.0, 3.0, 2.0, 1.0)] == [0.5] * 4
        # 5th value: H sorted [-4,-3,-2,-1,0]; q20 at 0.8 -> -3.2, q80 at 3.2 -> -0.8
        # x = 0 -> (0 + 3.2) / 2.4 > 1 -> 1
        assert s(0.0) == 1.0

    def test_equal_values_are_neutral(self) -> None:
        s = MABRewardScaler()
        assert [s(2.0) for _ in range(6)] == [0.5] * 6
        # one different value among many equal ones: q20 = q80 = -2 still -> neutral
        assert s(9.0) == 0.5

    def test_other_quantiles(self) -> None:
        s = MABRewardScaler(low_q=0.0, high_q=1.0, min_history=2)
        s(0.0)
        # min/max scaling: H = [0, -4] -> x = -4 is the minimum -> 0
        assert s(4.0) == 0.0
        # H sorted [-4,-1,0]: x = -1 -> (-1 + 4) / 4 = 0.75
        assert s(1.0) == pytest.approx(0.75)

    def test_sliding_window(self) -> None:
        s = MABRewardScaler(min_history=2, max_history=3)
        assert s(5.0) == 0.5
        # H = [-5,-1]: q20 = -5 + 0.2*4 = -4.2, q80 = -5 + 0.8*4 = -1.8; x = -1 -> 1
        assert s(1.0) == 1.0
        # H sorted [-5,-3,-1]: q20 at 0.4 -> -4.2, q80 at 1.6 -> -1.8; x = -3 -> 1.2/2.4
        assert s(3.0) == pytest.approx(0.5)
        # -5 leaves the window: H sorted [-3,-3,-1]; q20 at 0.4 -> -3, q80 at 1.6 -> -1.8
        # x = -3 -> 0 (unbounded: [-5,-3,-3,-1] gives q20 -3.8, q80 -2.2 -> 0.5)
        assert s(3.0) == 0.0
        assert list(s.history) == [-1.0, -3.0, -3.0]
        unbounded = MABRewardScaler(min_history=2)
        assert [unbounded(v) for v in (5.0, 1.0, 3.0, 3.0)][-1] == pytest.approx(0.5)

    @pytest.mark.parametrize("loss", [float("nan"), float("inf"), -float("inf")])
    def test_non_finite_loss_raises_and_is_not_recorded(self, loss: float) -> None:
        s = MABRewardScaler()
        s(1.0)
        with pytest.raises(ValueError, match="finite"):
            s(loss)
        assert list(s.history) == [-1.0]

    def test_accepts_scalar_tensors(self) -> None:
        torch = pytest.importorskip("torch")
        s = MABRewardScaler(min_history=1)
        s(torch.tensor(2.0))
        s(np.float32(1.0))
        assert list(s.history) == [-2.0, -1.0]

    def test_rewards_in_unit_interval(self) -> None:
        s = MABRewardScaler(max_history=20)
        rng = np.random.default_rng(0)
        rewards = [s(loss) for loss in 2.0 + rng.standard_normal(200)]
        assert all(0.0 <= r <= 1.0 for r in rewards)
        assert 0.0 in rewards and 1.0 in rewards

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"low_q": 0.8, "high_q": 0.2}, "low_q"),
            ({"low_q": -0.1}, "low_q"),
            ({"high_q": 1.5}, "high_q"),
            ({"min_history": 0}, "min_history"),
            ({"max_history": 1}, "max_history"),
            ({"min_history": 5, "max_history": 4}, "max_history"),
        ],
    )
    def test_bad_options(self, kwargs: dict, match: str) -> None:
        with pytest.raises(ValueError, match=match):
            MABRewardScaler(**kwargs)


class TestState:
    def test_roundtrip_reproduces_next_rewards(self) -> None:
        original = MABRewardScaler(max_history=5)
        for loss in (3.0, 2.5, 2.7, 2.0, 2.2, 1.9):
            original(loss)
        restored = MABRewardScaler(max_history=5)
        restored.load_state_dict(json.loads(json.dumps(original.state_dict())))
        for loss in (1.8, 2.4, 1.5, 1.5, 3.0):
            assert original(loss) == restored(loss)

    def test_load_longer_history_keeps_the_latest(self) -> None:
        s = MABRewardScaler(max_history=3)
        s.load_state_dict({"history": [-5.0, -4.0, -3.0, -2.0]})
        assert list(s.history) == [-4.0, -3.0, -2.0]

    def test_load_non_finite_refused(self) -> None:
        with pytest.raises(ValueError, match="non-finite"):
            MABRewardScaler().load_state_dict({"history": [1.0, float("nan")]})
