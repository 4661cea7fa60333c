"""Advantage estimators (common.training.advantages) against hand-computed values, and the
table that chooses them by ``trainer.advantage``."""

import math

import pytest
import torch

from common.training.advantages import (
    ADVANTAGES,
    centered_advantages,
    greedy_baseline_advantages,
    group_advantages,
    leave_one_out_advantages,
)
from common.training.options import keyword_options, takes

R = torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]])


def test_grpo_advantages_divide_by_the_group_std():
    # group 0: mean 2.5, population std sqrt(1.25); group 1 constant -> 0
    s = math.sqrt(1.25)
    expected = [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, 0, 0, 0, 0]
    torch.testing.assert_close(
        group_advantages(R, adv_eps=0.0).nan_to_num(0.0), torch.tensor(expected)
    )
    torch.testing.assert_close(
        group_advantages(R, adv_eps=1e-4)[:4], torch.tensor(expected[:4]) * s / (s + 1e-4)
    )


def test_dr_grpo_advantages_only_center():
    torch.testing.assert_close(
        group_advantages(R, scale_rewards=False), torch.tensor([-1.5, -0.5, 0.5, 1.5, 0, 0, 0, 0])
    )


def test_rloo_subtracts_the_mean_of_the_others():
    # 1 - (2+3+4)/3 = -2, 2 - 8/3 = -2/3, 3 - 7/3 = 2/3, 4 - 2 = 2
    torch.testing.assert_close(
        leave_one_out_advantages(R[:1]), torch.tensor([-2.0, -2 / 3, 2 / 3, 2.0])
    )
    with pytest.raises(ValueError, match="n >= 2"):
        leave_one_out_advantages(torch.ones(3, 1))


def test_dr_grpo_entry_is_grpo_without_the_std():
    torch.testing.assert_close(centered_advantages(R), group_advantages(R, scale_rewards=False))


def test_advantage_is_sample_minus_greedy_and_clipped():
    a = greedy_baseline_advantages(
        torch.tensor([[1.0], [0.2], [-3.0]]), greedy=torch.tensor([0.5, 0.7, 0.0]), adv_clip=2.0
    )
    # 1.0-0.5 = 0.5 ; 0.2-0.7 = -0.5 ; -3.0-0 = -3.0 -> clipped to -2.0
    torch.testing.assert_close(a, torch.tensor([0.5, -0.5, -2.0]))
    assert greedy_baseline_advantages(torch.tensor([[5.0]]), greedy=torch.tensor([0.0]))[0] == 5.0
    with pytest.raises(ValueError, match="n_samples=1"):
        greedy_baseline_advantages(torch.ones(2, 3), greedy=torch.zeros(2))


def test_the_table_holds_every_preset_and_names_an_unknown_one():
    assert {"grpo", "dr_grpo", "rloo", "remax"} <= set(ADVANTAGES.names())
    assert ADVANTAGES.get("rloo") is leave_one_out_advantages
    with pytest.raises(KeyError, match=r"trainer\.advantage='rlo'.*did you mean 'rloo'"):
        ADVANTAGES.get("rlo")


def test_an_estimator_reads_its_options_from_the_trainer_config():
    config = {"adv_eps": 0.5, "scale_rewards": None, "adv_clip": 3.0, "lr": 1.0}
    assert keyword_options(group_advantages, config) == {"adv_eps": 0.5}  # None: the default
    assert keyword_options(greedy_baseline_advantages, config) == {"adv_clip": 3.0}
    assert takes(greedy_baseline_advantages, "greedy") and not takes(group_advantages, "greedy")
