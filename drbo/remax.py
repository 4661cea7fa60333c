"""ReMax (Li et al. 2023): REINFORCE with the greedy response's reward as the baseline.

Per prompt x, one sampled response y ~ pi and one greedy response y_bar are scored with the
same reward R. Shapes: B sequences, T response tokens; ``mask`` (B, T) marks response
tokens (up to and including the first EOS).

    A          = clip(R(x, y) - R(x, y_bar), -c, c)                          (B,)
    r_t        = -beta * (log pi_old(a_t) - log pi_ref(a_t))  + [t = last] A   (B, T)
    G_t        = sum_{k >= t} gamma^(k - t) r_k                              (B, T)
    loss       = -sum_{b,t} G_t log pi(a_t) mask / sum mask

The KL term is the per-token penalty of the ReMax paper's implementation (DeepSpeed-Chat
style): it enters the return, not the loss directly, so it is detached like the reward.
"""

from __future__ import annotations

import torch


def remax_advantage(
    reward_sample: torch.Tensor, reward_greedy: torch.Tensor, clip: float | None = None
) -> torch.Tensor:
    """(B,) sampled reward minus the greedy baseline, clipped to [-clip, clip]."""
    adv = reward_sample - reward_greedy
    return adv.clamp(-clip, clip) if clip else adv


def token_rewards(
    advantage: torch.Tensor,
    logp_old: torch.Tensor,
    logp_ref: torch.Tensor,
    mask: torch.Tensor,
    kl_coef: float,
) -> torch.Tensor:
    """(B, T) per-token rewards: the KL penalty on every response token plus the sequence
    advantage on its last token.

    Args:
        advantage: (B,).
        logp_old: (B, T) log-probs of the sampled tokens under the policy that sampled them.
        logp_ref: (B, T) the same under the frozen reference.
        mask: (B, T) response mask; rows must have at least one token.
    """
    mask = mask.to(logp_old.dtype)
    rewards = -kl_coef * (logp_old - logp_ref) * mask
    last = (mask.sum(dim=1).long() - 1).clamp(min=0)  # index of each row's last response token
    rewards[torch.arange(rewards.shape[0]), last] += advantage.to(rewards.dtype)
    return rewards


def discounted_returns(rewards: torch.Tensor, mask: torch.Tensor, gamma: float) -> torch.Tensor:
    """(B, T) G_t = sum_{k >= t} gamma^(k-t) r_k over masked tokens (0 outside the mask)."""
    rewards = rewards * mask
    returns = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])
    for t in range(rewards.shape[1] - 1, -1, -1):
        running = rewards[:, t] + gamma * running * mask[:, t]
        returns[:, t] = running
    return returns * mask


def remax_loss(logp: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Scalar policy-gradient loss: -mean over response tokens of G_t log pi(a_t).

    Args:
        logp: (B, T) log-probs under the current policy (with grad).
        returns: (B, T) detached returns.
        mask: (B, T).
    """
    mask = mask.to(logp.dtype)
    return -(returns.detach() * logp * mask).sum() / mask.sum().clamp(min=1.0)


def approx_kl(logp: torch.Tensor, logp_ref: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean per-sequence sum of (log pi - log pi_ref) over response tokens (a k1 estimate)."""
    mask = mask.to(logp.dtype)
    return ((logp - logp_ref) * mask).sum(dim=1).mean()
