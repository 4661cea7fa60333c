"""Preference-training losses for LASeR: iterative DPO with an NLL term, or KTO.

Shapes: P preference pairs, B single (unpaired) examples, T response tokens. Per-token
log-probs come from ``common.generation.logprobs.sequence_logprobs`` and are (N, T) with a
(N, T) response mask; the sequence-level functions here take their masked sums, (N,).

DPO (Rafailov et al. 2023), with conservative label smoothing eps (Mitchell 2023, "cDPO"):

    z    = beta * ((log pi(y_c) - log pi(y_r)) - (log ref(y_c) - log ref(y_r)))    (P,)
    DPO  = mean( -(1 - eps) log sigma(z) - eps log sigma(-z) )
    r_c  = beta * (log pi(y_c) - log ref(y_c)),  r_r likewise                     (P,) detached

Iterative RPO (Pang et al. 2024, "Iterative Reasoning Preference Optimization") adds the
length-normalised NLL of the chosen responses:

    NLL  = mean_p( -sum_t log pi(y_c,t) m_t / sum_t m_t )
    loss = DPO + alpha * NLL

KTO (Ethayarajh et al. 2024), with r = log pi(y) - log ref(y) and z0 = max(KL_est, 0):

    desirable:   w_d (1 - sigma(beta (r - z0)))
    undesirable: w_u (1 - sigma(beta (z0 - r)))
    loss = mean over the batch
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check_same_1d(name_to_tensor: dict[str, torch.Tensor]) -> int:
    """Raise ValueError unless every tensor is 1-D, non-empty and of the same length."""
    shapes = {name: tuple(t.shape) for name, t in name_to_tensor.items()}
    lengths = {s[0] if len(s) == 1 else None for s in shapes.values()}
    if None in lengths or len(lengths) != 1:
        raise ValueError(f"expected 1-D tensors of one common length, got shapes {shapes}")
    (n,) = lengths
    if n == 0:
        raise ValueError(f"expected non-empty tensors, got shapes {shapes}")
    return n


def _check_token_pair(token_logps: torch.Tensor, mask: torch.Tensor, what: str) -> None:
    if token_logps.dim() != 2 or token_logps.shape != mask.shape:
        raise ValueError(
            f"{what}: expected (N, T) log-probs and a mask of the same shape, "
            f"got {tuple(token_logps.shape)} and {tuple(mask.shape)}"
        )
    if token_logps.shape[0] == 0:
        raise ValueError(f"{what}: expected at least one sequence, got {tuple(token_logps.shape)}")


def sequence_logp(
    token_logps: torch.Tensor, mask: torch.Tensor, average: bool = False
) -> torch.Tensor:
    """(B,) log pi(y | x) = sum_t log pi(y_t) m_t, or the per-token mean when ``average``.

    Args:
        token_logps: (B, T) per-token log-probs of the response tokens.
        mask: (B, T) response mask (1 on response tokens).
        average: divide by the number of response tokens (a row without any gives 0).
    """
    _check_token_pair(token_logps, mask, "sequence_logp")
    mask = mask.to(token_logps.dtype)
    total = (token_logps * mask).sum(dim=1)
    return total / mask.sum(dim=1).clamp(min=1.0) if average else total


def dpo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sigmoid DPO loss (Rafailov et al. 2023) with cDPO label smoothing.

    Args:
        policy_chosen, policy_rejected: (P,) sequence log-probs under the policy (with grad).
        ref_chosen, ref_rejected: (P,) the same under the frozen reference.
        beta: KL strength; the implicit reward scale.
        label_smoothing: eps in [0, 0.5), the assumed probability that a label is flipped.

    Returns:
        (loss scalar, chosen_rewards (P,), rejected_rewards (P,)); rewards are detached.
    """
    _check_same_1d(
        {
            "policy_chosen": policy_chosen,
            "policy_rejected": policy_rejected,
            "ref_chosen": ref_chosen,
            "ref_rejected": ref_rejected,
        }
    )
    if not 0.0 <= label_smoothing < 0.5:
        # At eps = 0.5 the two labels are equally likely and the loss carries no preference.
        raise ValueError(f"label_smoothing must be in [0, 0.5), got {label_smoothing}")
    # The reference is frozen: detaching guards against a caller who forgot no_grad.
    ref_chosen, ref_rejected = ref_chosen.detach(), ref_rejected.detach()
    logits = beta * ((policy_chosen - policy_rejected) - (ref_chosen - ref_rejected))
    losses = (
        -F.logsigmoid(logits) * (1.0 - label_smoothing) - F.logsigmoid(-logits) * label_smoothing
    )
    chosen_rewards = (beta * (policy_chosen - ref_chosen)).detach()
    rejected_rewards = (beta * (policy_rejected - ref_rejected)).detach()
    return losses.mean(), chosen_rewards, rejected_rewards


def nll_loss(chosen_token_logps: torch.Tensor, chosen_mask: torch.Tensor) -> torch.Tensor:
    """Scalar length-normalised NLL of the chosen responses (the RPO term of Pang et al. 2024).

    NLL = mean_p( -sum_t log pi(y_t) m_t / sum_t m_t ): each sequence counts equally whatever
    its length. Pang et al. normalise by prompt + response length; only response tokens are
    scored here, so the normaliser is the response length.

    Args:
        chosen_token_logps: (P, T) per-token log-probs of the chosen responses (with grad).
        chosen_mask: (P, T) their response masks.
    """
    _check_token_pair(chosen_token_logps, chosen_mask, "nll_loss")
    return -sequence_logp(chosen_token_logps, chosen_mask, average=True).mean()


def dpo_nll_loss(
    policy_chosen_token_logps: torch.Tensor,
    chosen_mask: torch.Tensor,
    policy_rejected_token_logps: torch.Tensor,
    rejected_mask: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float = 0.1,
    alpha: float = 1.0,
    label_smoothing: float = 0.0,
) -> dict[str, torch.Tensor]:
    """Iterative RPO loss: DPO on summed sequence log-probs + alpha * NLL of the chosen.

    Pang et al. 2024 write NLL + alpha' DPO; this is the same objective up to an overall scale
    (alpha = 1 / alpha'), with the weight on the auxiliary term.

    Args:
        policy_chosen_token_logps: (P, T_c) per-token log-probs of the chosen responses.
        chosen_mask: (P, T_c).
        policy_rejected_token_logps: (P, T_r) per-token log-probs of the rejected responses.
        rejected_mask: (P, T_r).
        ref_chosen, ref_rejected: (P,) reference sequence log-probs (masked sums).
        beta, label_smoothing: as in ``dpo_loss``.
        alpha: weight of the NLL term.

    Returns:
        dict of scalars: ``loss`` (with grad), and detached ``dpo``, ``nll``, ``reward_margin``
        (mean r_c - r_r) and ``reward_accuracy`` (fraction of pairs with r_c > r_r).
    """
    policy_chosen = sequence_logp(policy_chosen_token_logps, chosen_mask)
    policy_rejected = sequence_logp(policy_rejected_token_logps, rejected_mask)
    dpo, chosen_rewards, rejected_rewards = dpo_loss(
        policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta, label_smoothing
    )
    nll = nll_loss(policy_chosen_token_logps, chosen_mask)
    margin = chosen_rewards - rejected_rewards
    return {
        "loss": dpo + alpha * nll,
        "dpo": dpo.detach(),
        "nll": nll.detach(),
        "reward_margin": margin.mean(),
        "reward_accuracy": (margin > 0).to(margin.dtype).mean(),
    }


def kto_kl_estimate(policy_logps: torch.Tensor, ref_logps: torch.Tensor) -> torch.Tensor:
    """Detached scalar z0 = max(mean(log pi(y) - log ref(y)), 0).

    KTO estimates KL(pi || ref) from mismatched pairs (x_i, y_j), j != i, so that the
    reference point does not move with the rewards of the batch's own examples; pass their
    (B,) sequence log-probs here (the batch itself is a cheaper, biased fallback). A KL is
    non-negative, so a negative Monte-Carlo estimate is clamped to 0.
    """
    _check_same_1d({"policy_logps": policy_logps, "ref_logps": ref_logps})
    return (policy_logps - ref_logps).mean().clamp(min=0.0).detach()


def kto_loss(
    policy_logps: torch.Tensor,
    ref_logps: torch.Tensor,
    desirable: torch.Tensor,
    kl_ref: torch.Tensor | float,
    beta: float = 0.1,
    desirable_weight: float = 1.0,
    undesirable_weight: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """KTO loss (Ethayarajh et al. 2024) on unpaired desirable / undesirable responses.

    Args:
        policy_logps: (B,) sequence log-probs under the policy (with grad).
        ref_logps: (B,) the same under the frozen reference.
        desirable: (B,) bool, True for desirable responses.
        kl_ref: scalar KL(pi || ref) estimate (see ``kto_kl_estimate``); clamped at 0 and
            detached, since the paper backpropagates through neither.
        beta: reward scale.
        desirable_weight, undesirable_weight: w_d and w_u, to rebalance unequal class counts
            (the paper keeps w_d n_d / (w_u n_u) in [1, 4/3]).

    Returns:
        (loss scalar, components): detached ``kl`` (z0), ``rewards`` (B,) beta * r,
        ``desirable_loss`` and ``undesirable_loss`` (weighted means over each class, 0 when
        the class is absent) and ``num_desirable``.
    """
    _check_same_1d({"policy_logps": policy_logps, "ref_logps": ref_logps, "desirable": desirable})
    desirable = desirable.to(device=policy_logps.device, dtype=torch.bool)
    z0 = torch.as_tensor(kl_ref, dtype=policy_logps.dtype, device=policy_logps.device)
    if z0.numel() != 1:
        raise ValueError(f"kl_ref must be a scalar, got shape {tuple(z0.shape)}")
    z0 = z0.reshape(()).detach().clamp(min=0.0)
    r = policy_logps - ref_logps.detach()
    losses = torch.where(
        desirable,
        desirable_weight * (1.0 - torch.sigmoid(beta * (r - z0))),
        undesirable_weight * (1.0 - torch.sigmoid(beta * (z0 - r))),
    )
    detached = losses.detach()
    n_des = desirable.sum()
    n_und = desirable.numel() - n_des
    components = {
        "kl": z0,
        "rewards": (beta * r).detach(),
        "desirable_loss": detached[desirable].sum() / n_des.clamp(min=1),
        "undesirable_loss": detached[~desirable].sum() / n_und.clamp(min=1),
        "num_desirable": n_des,
    }
    return losses.mean(), components
