"""Group-relative policy-gradient maths: GRPO, Dr. GRPO and RLOO advantages and the clipped
surrogate loss with a KL penalty to the reference.

G prompts, n sampled responses each, B = G * n rows in prompt-major order (p0r0, p0r1, ...,
p1r0, ...); T response tokens; ``mask`` (B, T) marks response tokens (up to the first EOS).

Advantages from the mixed per-sample rewards R (G, n):

    GRPO  (Shao et al. 2024, DeepSeekMath, arXiv 2402.03300, Sec. 4.1.2):
          A_i = (R_i - mean_g R) / (std_g R + eps)          (std: population, ddof = 0)
    Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training", arXiv 2503.20783):
          A_i = R_i - mean_g R                               (no std normalization)
    RLOO  (Ahmadian et al. 2024, "Back to Basics", arXiv 2402.14740; Kool et al. 2019):
          A_i = R_i - 1/(n-1) sum_{j != i} R_j = n/(n-1) (R_i - mean_g R)

Loss (PPO-style clipped surrogate, Schulman et al. 2017, with GRPO's k3 KL, Eq. 4):

    rho_t  = exp(log pi(a_t) - log pi_old(a_t))
    l_t    = -min(rho_t A, clip(rho_t, 1 - eps_low, 1 + eps_high) A) + beta * KL_t
    KL_t   = exp(log pi_ref - log pi) - (log pi_ref - log pi) - 1        (k3, >= 0)

    ``grpo``:    loss = 1/B sum_i 1/|o_i| sum_t l_it          (each sequence's token mean)
    ``dr_grpo``: loss = 1/(B * T_max) sum_i sum_t l_it       (a constant divisor: no length
                                                               bias, Dr. GRPO Sec. 3.1)

With one update per rollout pi_old = pi (detached), so rho = 1 and its gradient is that of
log pi: the plain policy gradient. Reusing the rollout for more updates makes the clip act.
"""

from __future__ import annotations

import torch

LOSS_TYPES = ("grpo", "dr_grpo")


def group_advantages(
    rewards: torch.Tensor, scale_by_std: bool = True, eps: float = 1e-4
) -> torch.Tensor:
    """(G, n) rewards -> (G * n,) GRPO advantages; ``scale_by_std=False`` is Dr. GRPO."""
    if rewards.ndim != 2:
        raise ValueError(f"rewards must have shape (G, n), got {tuple(rewards.shape)}")
    centered = rewards - rewards.mean(dim=1, keepdim=True)
    if scale_by_std:
        centered = centered / (rewards.std(dim=1, unbiased=False, keepdim=True) + eps)
    return centered.reshape(-1)


def leave_one_out_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """(G, n) rewards -> (G * n,) RLOO advantages R_i - mean of the other n - 1 (n >= 2)."""
    if rewards.ndim != 2 or rewards.shape[1] < 2:
        raise ValueError(f"RLOO needs rewards of shape (G, n >= 2), got {tuple(rewards.shape)}")
    n = rewards.shape[1]
    baseline = (rewards.sum(dim=1, keepdim=True) - rewards) / (n - 1)
    return (rewards - baseline).reshape(-1)


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
    loss_type: str = "grpo",
) -> tuple[torch.Tensor, dict[str, float]]:
    """Scalar loss (see the module docstring) and figures (clip fraction, mean KL).

    Args:
        logp: (B, T) log pi of the sampled tokens, with grad.
        logp_old: (B, T) the same under the policy that sampled them (detached).
        logp_ref: (B, T) under the frozen reference; None when ``kl_coef`` is 0.
        advantages: (B,) one per sequence, broadcast over its tokens.
        mask: (B, T) response mask; rows must have at least one token.
    """
    if loss_type not in LOSS_TYPES:
        raise ValueError(f"loss_type={loss_type!r}; allowed values: {', '.join(LOSS_TYPES)}")
    mask = mask.to(logp.dtype)
    adv = advantages.to(logp.dtype)[:, None]
    ratio = torch.exp(logp - logp_old.detach())
    clipped = ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    per_token = -torch.minimum(ratio * adv, clipped * adv)
    kl = torch.zeros_like(logp)
    if kl_coef and logp_ref is not None:
        kl = k3_kl(logp, logp_ref.detach())
        per_token = per_token + kl_coef * kl
    if loss_type == "grpo":
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
