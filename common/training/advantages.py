"""Advantage estimators of the REINFORCE family, by name (``trainer.advantage``).

Each entry is a pure function ``(rewards, **options) -> advantages``:

    rewards     (G, n)   the mixed per-sample rewards, G prompts x n samples, prompt-major
    advantages  (G * n,) one per sampled sequence, in the rows' order

Keyword-only options are read from ``trainer.<option>`` (:mod:`common.training.options`).
An estimator with a ``greedy`` parameter gets the (G,) rewards of each prompt's greedy
response, and the loop then decodes one (ReMax). Adding one: a function here (or in a
method package, ``@ADVANTAGES.register``) with its formula and paper, and a hand-computed
test in ``tests/common/training/test_advantages.py``; ``trainer.advantage=<name>`` runs it.

    grpo     (Shao et al. 2024, DeepSeekMath, arXiv 2402.03300, Sec. 4.1.2):
             A_i = (R_i - mean_g R) / (std_g R + eps)          (std: population, ddof = 0)
    dr_grpo  (Liu et al. 2025, "Understanding R1-Zero-Like Training", arXiv 2503.20783):
             A_i = R_i - mean_g R                               (no std normalization)
    rloo     (Ahmadian et al. 2024, "Back to Basics", arXiv 2402.14740; Kool et al. 2019):
             A_i = R_i - 1/(n-1) sum_{j != i} R_j = n/(n-1) (R_i - mean_g R)
    remax    (Li et al. 2023, "ReMax", arXiv 2310.10505): n = 1,
             A = clip(R(x, y) - R(x, y_greedy), -c, c)
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from common.core.registry import Registry

Estimator = Callable[..., torch.Tensor]
ADVANTAGES: Registry[Estimator] = Registry("advantage estimator", "trainer.advantage")


def _groups(rewards: torch.Tensor) -> torch.Tensor:
    if rewards.ndim != 2:
        raise ValueError(f"rewards must have shape (G, n), got {tuple(rewards.shape)}")
    return rewards


@ADVANTAGES.register("grpo")
def group_advantages(
    rewards: torch.Tensor, *, scale_rewards: bool = True, adv_eps: float = 1e-4
) -> torch.Tensor:
    """(G, n) rewards -> (G * n,) GRPO advantages; ``scale_rewards=False`` is Dr. GRPO."""
    rewards = _groups(rewards)
    centered = rewards - rewards.mean(dim=1, keepdim=True)
    if scale_rewards:
        centered = centered / (rewards.std(dim=1, unbiased=False, keepdim=True) + adv_eps)
    return centered.reshape(-1)


@ADVANTAGES.register("dr_grpo")
def centered_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """(G, n) rewards -> (G * n,) Dr. GRPO advantages R_i - mean of the group."""
    return group_advantages(rewards, scale_rewards=False)


@ADVANTAGES.register("rloo")
def leave_one_out_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """(G, n) rewards -> (G * n,) RLOO advantages R_i - mean of the other n - 1 (n >= 2)."""
    if rewards.ndim != 2 or rewards.shape[1] < 2:
        raise ValueError(f"RLOO needs rewards of shape (G, n >= 2), got {tuple(rewards.shape)}")
    n = rewards.shape[1]
    baseline = (rewards.sum(dim=1, keepdim=True) - rewards) / (n - 1)
    return (rewards - baseline).reshape(-1)


@ADVANTAGES.register("remax")
def greedy_baseline_advantages(
    rewards: torch.Tensor, *, greedy: torch.Tensor, adv_clip: float | None = None
) -> torch.Tensor:
    """(G, 1) sampled rewards, (G,) greedy rewards -> (G,) ReMax advantages, the sampled
    reward minus the greedy response's, clipped to [-adv_clip, adv_clip]."""
    if _groups(rewards).shape[1] != 1:
        raise ValueError(
            f"the greedy baseline takes one sample per prompt, got {rewards.shape[1]} "
            "(trainer.n_samples=1)"
        )
    adv = rewards.reshape(-1) - greedy.reshape(-1)
    return adv.clamp(-adv_clip, adv_clip) if adv_clip else adv
