"""GRPO / Dr. GRPO / RLOO maths (drbo.grpo) against hand-computed values."""

import math

import pytest
import torch

from drbo.grpo import (
    clipped_surrogate_loss,
    group_advantages,
    k3_kl,
    leave_one_out_advantages,
)

R = torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]])


def test_grpo_advantages_divide_by_the_group_std():
    # group 0: mean 2.5, population std sqrt(1.25); group 1 constant -> 0
    s = math.sqrt(1.25)
    expected = [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, 0, 0, 0, 0]
    torch.testing.assert_close(group_advantages(R, eps=0.0).nan_to_num(0.0), torch.tensor(expected))
    torch.testing.assert_close(
        group_advantages(R, eps=1e-4)[:4], torch.tensor(expected[:4]) * s / (s + 1e-4)
    )


def test_dr_grpo_advantages_only_center():
    torch.testing.assert_close(
        group_advantages(R, scale_by_std=False), torch.tensor([-1.5, -0.5, 0.5, 1.5, 0, 0, 0, 0])
    )


def test_rloo_subtracts_the_mean_of_the_others():
    # 1 - (2+3+4)/3 = -2, 2 - 8/3 = -2/3, 3 - 7/3 = 2/3, 4 - 2 = 2
    torch.testing.assert_close(
        leave_one_out_advantages(R[:1]), torch.tensor([-2.0, -2 / 3, 2 / 3, 2.0])
    )
    with pytest.raises(ValueError, match="n >= 2"):
        leave_one_out_advantages(torch.ones(3, 1))


def test_k3_kl_value():
    # delta = log 0.25 - log 0.5 = -log 2: 0.5 + log 2 - 1
    got = k3_kl(torch.tensor([math.log(0.5)]), torch.tensor([math.log(0.25)]))
    torch.testing.assert_close(got, torch.tensor([0.5 + math.log(2) - 1]))


def _case():
    logp_old = torch.full((2, 2), math.log(0.5))
    logp = logp_old.clone()
    logp[0, 0] += math.log(1.5)  # ratio 1.5 on one token, 1 elsewhere
    logp.requires_grad_(True)
    adv = torch.tensor([1.0, -1.0])
    mask = torch.tensor([[1, 1], [1, 0]])
    return logp, logp_old, adv, mask


def test_clipped_loss_grpo_token_mean_per_sequence():
    logp, logp_old, adv, mask = _case()
    loss, figs = clipped_surrogate_loss(logp, logp_old, None, adv, mask, loss_type="grpo")
    # row 0: -(min(1.5, 1.2) + 1) / 2 = -1.1; row 1: -(-1) = 1; mean -0.05
    assert loss.item() == pytest.approx(-0.05)
    assert figs["clip_fraction"] == pytest.approx(1 / 3)
    loss.backward()
    # the clipped token has no gradient; d/dlogp = -ratio * A / |o_i| / B
    torch.testing.assert_close(logp.grad, torch.tensor([[0.0, -0.25], [0.5, 0.0]]))


def test_clipped_loss_dr_grpo_constant_divisor():
    logp, logp_old, adv, mask = _case()
    loss, _ = clipped_surrogate_loss(logp, logp_old, None, adv, mask, loss_type="dr_grpo")
    assert loss.item() == pytest.approx((-1.2 - 1.0 + 1.0) / 4)


def test_kl_term_adds_beta_times_k3():
    logp_old = torch.full((1, 1), math.log(0.5))
    ref = torch.full((1, 1), math.log(0.25))
    loss, figs = clipped_surrogate_loss(
        logp_old.clone(), logp_old, ref, torch.zeros(1), torch.ones(1, 1), kl_coef=0.1
    )
    assert loss.item() == pytest.approx(0.1 * (0.5 + math.log(2) - 1))
    assert figs["kl"] == pytest.approx(0.5 + math.log(2) - 1)


def test_unknown_loss_type_is_named():
    logp, logp_old, adv, mask = _case()
    with pytest.raises(ValueError, match="dr_grpo"):
        clipped_surrogate_loss(logp, logp_old, None, adv, mask, loss_type="bnpo")
