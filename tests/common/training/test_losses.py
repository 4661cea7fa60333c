"""Policy losses (common.training.losses) against hand-computed values, and the table that
chooses them by ``trainer.loss_type``."""

import math

import pytest
import torch

from common.training.losses import (
    POLICY_LOSSES,
    approx_kl,
    clipped_surrogate_loss,
    discounted_returns,
    k3_kl,
    returns_loss,
    token_rewards,
)


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
    loss, figs = POLICY_LOSSES.get("grpo")(logp, logp_old, None, adv, mask)
    # row 0: -(min(1.5, 1.2) + 1) / 2 = -1.1; row 1: -(-1) = 1; mean -0.05
    assert loss.item() == pytest.approx(-0.05)
    assert figs["clip_fraction"] == pytest.approx(1 / 3)
    loss.backward()
    # the clipped token has no gradient; d/dlogp = -ratio * A / |o_i| / B
    torch.testing.assert_close(logp.grad, torch.tensor([[0.0, -0.25], [0.5, 0.0]]))


def test_clipped_loss_dr_grpo_constant_divisor():
    logp, logp_old, adv, mask = _case()
    loss, _ = POLICY_LOSSES.get("dr_grpo")(logp, logp_old, None, adv, mask)
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
    with pytest.raises(KeyError, match=r"trainer\.loss_type='bnpo'.*dr_grpo"):
        POLICY_LOSSES.get("bnpo")


def test_token_rewards_put_kl_on_every_token_and_advantage_on_the_last():
    adv = torch.tensor([1.0, -1.0])
    logp_old = torch.tensor([[-1.0, -2.0, -3.0], [-1.0, -1.0, -1.0]])
    logp_ref = torch.tensor([[-1.5, -2.0, -2.0], [-1.0, -1.0, -1.0]])
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    r = token_rewards(adv, logp_old, logp_ref, mask, kl_coef=0.1)
    # row 0: -0.1*(0.5, 0, -1) = (-0.05, 0, 0.1); last token (t=2) += 1.0 -> 1.1
    # row 1: KL 0 everywhere; last real token is t=1 -> -1.0; t=2 masked -> 0
    torch.testing.assert_close(r, torch.tensor([[-0.05, 0.0, 1.1], [0.0, -1.0, 0.0]]))


def test_discounted_returns_by_hand():
    rewards = torch.tensor([[1.0, 0.0, 2.0], [0.5, 1.0, 9.0]])
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    g = discounted_returns(rewards, mask.float(), gamma=0.5)
    # row 0: G2 = 2 ; G1 = 0 + .5*2 = 1 ; G0 = 1 + .5*1 = 1.5
    # row 1: t=2 masked (reward 9 ignored) ; G1 = 1 ; G0 = .5 + .5*1 = 1.0
    torch.testing.assert_close(g, torch.tensor([[1.5, 1.0, 2.0], [1.0, 1.0, 0.0]]))


def test_gamma_one_sums_the_future():
    g = discounted_returns(torch.tensor([[1.0, 2.0, 3.0]]), torch.ones(1, 3), gamma=1.0)
    torch.testing.assert_close(g, torch.tensor([[6.0, 5.0, 3.0]]))


def test_loss_is_masked_mean_of_return_times_logp_and_its_gradient():
    logp = torch.tensor([[-1.0, -2.0], [-0.5, -4.0]], requires_grad=True)
    returns = torch.tensor([[2.0, 1.0], [-1.0, 7.0]])
    mask = torch.tensor([[1, 1], [1, 0]])
    loss = returns_loss(logp, returns, mask)
    # -( 2*-1 + 1*-2 + -1*-0.5 ) / 3 = -(-2 -2 +0.5)/3 = 3.5/3
    torch.testing.assert_close(loss, torch.tensor(3.5 / 3))
    loss.backward()
    # d loss / d logp = -G * mask / 3
    torch.testing.assert_close(logp.grad, torch.tensor([[-2 / 3, -1 / 3], [1 / 3, 0.0]]))


def test_positive_advantage_raises_the_sampled_tokens_probability():
    """One gradient step on a toy policy moves probability toward a rewarded action."""
    logits = torch.zeros(1, 1, 3, requires_grad=True)
    action = torch.tensor([[2]])
    logp = torch.log_softmax(logits, -1).gather(2, action.unsqueeze(-1)).squeeze(-1)
    mask = torch.ones(1, 1)
    r = token_rewards(torch.tensor([1.0]), logp.detach(), logp.detach(), mask, kl_coef=0.1)
    returns_loss(logp, discounted_returns(r, mask, 1.0), mask).backward()
    with torch.no_grad():
        new = torch.softmax(logits - 1.0 * logits.grad, -1)[0, 0, 2]
    assert new > 1 / 3


def test_approx_kl():
    logp = torch.tensor([[-1.0, -1.0], [-2.0, -2.0]])
    ref = torch.tensor([[-1.5, -1.0], [-1.0, -9.0]])
    mask = torch.tensor([[1, 1], [1, 0]])
    # row0: 0.5 + 0 = 0.5 ; row1: -1 (second masked) -> mean -0.25
    torch.testing.assert_close(approx_kl(logp, ref, mask), torch.tensor(-0.25))


def test_remax_entry_is_the_return_loss_of_token_rewards():
    logp = torch.tensor([[-1.0, -2.0, -3.0]], requires_grad=True)
    ref = torch.tensor([[-1.5, -2.0, -2.0]])
    mask = torch.ones(1, 3)
    loss, figs = POLICY_LOSSES.get("remax")(
        logp, logp.detach(), ref, torch.tensor([1.0]), mask, kl_coef=0.1, gamma=0.5
    )
    # r = (-0.05, 0, 1.1); G = (-0.05 + .5 * .55, .55, 1.1) = (0.225, 0.55, 1.1)
    # loss = -(0.225 * -1 + 0.55 * -2 + 1.1 * -3) / 3
    assert loss.item() == pytest.approx((0.225 + 1.1 + 3.3) / 3)
    assert figs["kl"] == pytest.approx(0.5 + 0.0 - 1.0)  # k1: sum of logp - ref
    no_ref, figs = POLICY_LOSSES.get("remax")(logp, logp.detach(), None, torch.tensor([1.0]), mask)
    # no reference, no penalty: G = (1, 1, 1); loss = -(-1 - 2 - 3) / 3
    assert no_ref.item() == pytest.approx(6.0 / 3) and figs["kl"] == 0.0
