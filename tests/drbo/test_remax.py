"""ReMax maths against hand-computed tensors."""

import torch

from drbo.remax import (
    approx_kl,
    discounted_returns,
    remax_advantage,
    remax_loss,
    token_rewards,
)


def test_advantage_is_sample_minus_greedy_and_clipped():
    a = remax_advantage(torch.tensor([1.0, 0.2, -3.0]), torch.tensor([0.5, 0.7, 0.0]), clip=2.0)
    # 1.0-0.5 = 0.5 ; 0.2-0.7 = -0.5 ; -3.0-0 = -3.0 -> clipped to -2.0
    torch.testing.assert_close(a, torch.tensor([0.5, -0.5, -2.0]))
    assert remax_advantage(torch.tensor([5.0]), torch.tensor([0.0]))[0] == 5.0


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
    loss = remax_loss(logp, returns, mask)
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
    remax_loss(logp, discounted_returns(r, mask, 1.0), mask).backward()
    with torch.no_grad():
        new = torch.softmax(logits - 1.0 * logits.grad, -1)[0, 0, 2]
    assert new > 1 / 3


def test_approx_kl():
    logp = torch.tensor([[-1.0, -1.0], [-2.0, -2.0]])
    ref = torch.tensor([[-1.5, -1.0], [-1.0, -9.0]])
    mask = torch.tensor([[1, 1], [1, 0]])
    # row0: 0.5 + 0 = 0.5 ; row1: -1 (second masked) -> mean -0.25
    torch.testing.assert_close(approx_kl(logp, ref, mask), torch.tensor(-0.25))
