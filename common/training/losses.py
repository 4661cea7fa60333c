"""Policy losses of the REINFORCE family, by name (``trainer.loss_type``).

Each entry is a pure function ``(logp, logp_old, logp_ref, advantages, mask, **options) ->
(loss, figures)``. Shapes: B sequences, T response tokens;

    logp        (B, T)  log pi of the sampled tokens under the policy being trained (grad)
    logp_old    (B, T)  the same under the policy that sampled them (detached)
    logp_ref    (B, T)  under the frozen reference; None when ``kl_coef`` is 0
    advantages  (B,)    one per sequence (:mod:`common.training.advantages`)
    mask        (B, T)  response tokens (up to and including the first EOS); >= 1 per row

and ``figures`` a dict of floats for metrics.jsonl (``kl`` at least). Keyword-only options
are read from ``trainer.<option>`` (:mod:`common.training.options`).

``grpo`` / ``dr_grpo``: the PPO-style clipped surrogate (Schulman et al. 2017) with GRPO's
k3 KL to the reference (Shao et al. 2024, arXiv 2402.03300, Eq. 4):

    rho_t  = exp(log pi(a_t) - log pi_old(a_t))
    l_t    = -min(rho_t A, clip(rho_t, 1 - eps_low, 1 + eps_high) A) + beta * KL_t
    KL_t   = exp(log pi_ref - log pi) - (log pi_ref - log pi) - 1        (k3, >= 0)
    grpo:    loss = 1/B sum_i 1/|o_i| sum_t l_it          (each sequence's token mean)
    dr_grpo: loss = 1/(B * T_max) sum_i sum_t l_it       (a constant divisor: no length
                                                           bias, arXiv 2503.20783 Sec. 3.1)

With one update per rollout pi_old = pi (detached), so rho = 1 and its gradient is that of
log pi: the plain policy gradient. Reusing the rollout for more updates makes the clip act.

``remax``: REINFORCE on discounted returns with the per-token KL penalty in the reward
(ReMax, Li et al. 2023, arXiv 2310.10505, as in its DeepSpeed-Chat-style implementation):

    r_t   = -beta * (log pi_old(a_t) - log pi_ref(a_t)) + [t = last] A      (B, T)
    G_t   = sum_{k >= t} gamma^(k - t) r_k                                  (B, T)
    loss  = -sum_{b,t} G_t log pi(a_t) mask / sum mask

The KL enters the return, not the loss directly, so it is detached like the reward.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from common.core.registry import Registry

PolicyLoss = Callable[..., tuple[torch.Tensor, dict[str, float]]]
POLICY_LOSSES: Registry[PolicyLoss] = Registry("policy loss", "trainer.loss_type")


# ---- the clipped surrogate (GRPO, Dr. GRPO) ----------------------------------------------------
def k3_kl(logp: torch.Tensor, logp_ref: torch.Tensor) -> torch.Tensor:
    """(B, T) per-token k3 estimate of KL(pi || pi_ref) (Schulman 2020; GRPO Eq. 4)."""
    delta = logp_ref - logp
    return torch.exp(delta) - delta - 1.0


def clipped_surrogate_loss(
    logp: torch.Tensor,
    logp_old: torch.Tensor,
    logp_ref: torch.Tensor | None,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
    kl_coef: float = 0.0,
    token_mean_per_sequence: bool = True,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Scalar loss (the module docstring's ``grpo``, or ``dr_grpo`` when
    ``token_mean_per_sequence`` is False) and figures (clip fraction, mean KL)."""
    mask = mask.to(logp.dtype)
    adv = advantages.to(logp.dtype)[:, None]
    ratio = torch.exp(logp - logp_old.detach())
    clipped = ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    per_token = -torch.minimum(ratio * adv, clipped * adv)
    kl = torch.zeros_like(logp)
    if kl_coef and logp_ref is not None:
        kl = k3_kl(logp, logp_ref.detach())
        per_token = per_token + kl_coef * kl
    if token_mean_per_sequence:
        loss = ((per_token * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)).mean()
    else:
        loss = (per_token * mask).sum() / (mask.shape[0] * mask.shape[1])
    with torch.no_grad():
        tokens = mask.sum().clamp(min=1.0)
        outside = ((ratio - clipped).abs() > 0).to(mask.dtype) * mask
        figures = {
            "clip_fraction": float(outside.sum() / tokens),
            "kl": float(((kl if kl_coef else k3_kl(logp, logp_ref)) * mask).sum(1).mean())
            if logp_ref is not None
            else 0.0,
        }
    return loss, figures


@POLICY_LOSSES.register("grpo")
def grpo_loss(
    logp, logp_old, logp_ref, advantages, mask, *, clip_eps=0.2, clip_eps_high=None, kl_coef=0.0
):
    """GRPO's clipped surrogate, each sequence's token mean (module docstring)."""
    return clipped_surrogate_loss(
        logp, logp_old, logp_ref, advantages, mask,
        clip_low=float(clip_eps), clip_high=float(clip_eps_high or clip_eps),
        kl_coef=float(kl_coef),
    )  # fmt: skip


@POLICY_LOSSES.register("dr_grpo")
def dr_grpo_loss(
    logp, logp_old, logp_ref, advantages, mask, *, clip_eps=0.2, clip_eps_high=None, kl_coef=0.0
):
    """Dr. GRPO's clipped surrogate, summed and divided by B * T_max (module docstring)."""
    return clipped_surrogate_loss(
        logp, logp_old, logp_ref, advantages, mask,
        clip_low=float(clip_eps), clip_high=float(clip_eps_high or clip_eps),
        kl_coef=float(kl_coef), token_mean_per_sequence=False,
    )  # fmt: skip


# ---- REINFORCE on discounted returns (ReMax) -----------------------------------------------
def token_rewards(
    advantage: torch.Tensor,
    logp_old: torch.Tensor,
    logp_ref: torch.Tensor | None,
    mask: torch.Tensor,
    kl_coef: float,
) -> torch.Tensor:
    """(B, T) per-token rewards r_t: the KL penalty on every response token plus the
    sequence advantage (B,) on its last token (no penalty without a reference)."""
    mask = mask.to(logp_old.dtype)
    if logp_ref is None:
        rewards = torch.zeros_like(logp_old)
    else:
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


def returns_loss(logp: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Scalar -mean over response tokens of G_t log pi(a_t); ``returns`` (B, T) detached."""
    mask = mask.to(logp.dtype)
    return -(returns.detach() * logp * mask).sum() / mask.sum().clamp(min=1.0)


def approx_kl(logp: torch.Tensor, logp_ref: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean per-sequence sum of (log pi - log pi_ref) over response tokens (a k1 estimate)."""
    mask = mask.to(logp.dtype)
    return ((logp - logp_ref) * mask).sum(dim=1).mean()


@POLICY_LOSSES.register("remax")
def remax_loss(logp, logp_old, logp_ref, advantages, mask, *, kl_coef=0.0, gamma=1.0):
    """ReMax's REINFORCE on discounted returns with the KL in the reward (module docstring);
    figures: ``kl``, the k1 estimate of the sampling policy's KL to the reference."""
    rewards = token_rewards(advantages, logp_old.detach(), logp_ref, mask, kl_coef=float(kl_coef))
    returns = discounted_returns(rewards, mask.to(rewards.dtype), gamma=float(gamma))
    kl = 0.0 if logp_ref is None else float(approx_kl(logp_old.detach(), logp_ref, mask).item())
    return returns_loss(logp, returns, mask), {"kl": kl}
