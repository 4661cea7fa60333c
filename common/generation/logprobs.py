"""Log-probs of response tokens under a policy (shapes: B sequences, P padded prompt length,
T response length): one forward per row (:func:`sequence_logprobs`), or one forward per
distinct prompt with the KV cache shared by the rows that sampled from it
(:func:`shared_prompt_logprobs`, what DPO pairs, KTO's samples and ReMax's two continuations
use); :func:`rollout_logprobs` picks between them for a
:class:`common.generation.batch.Rollout`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from common.generation.batch import Rollout
from common.generation.prefill import cache_of, prefill_prompts
from common.models.unwrap import module_of


def sequence_logprobs(
    model,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    response_len: int,
) -> torch.Tensor:
    """Log-probs of the last ``response_len`` tokens of each row under ``model``.

    Args:
        input_ids: (B, P + T) prompt and response ids.
        attention_mask: (B, P + T).
        response_len: T.

    Returns:
        (B, T) log pi(a_t | s_t) for the response tokens (mask them with the response mask).
    """
    # Positions for left-padded rows: count only real tokens so position 0 is the first one.
    position_ids = (attention_mask.cumsum(dim=1) - 1).clamp(min=0)
    # Logits at position i predict token i + 1: only the last T + 1 positions are needed, so
    # the LM head runs on those alone (the full-vocabulary logits of the prompt positions cost
    # about a quarter of a forward/backward on a 135M policy with 300-token prompts).
    logits = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=position_ids,
        logits_to_keep=response_len + 1,
    ).logits
    logits = logits[:, :-1, :].float()
    targets = input_ids[:, -response_len:]
    return torch.gather(F.log_softmax(logits, dim=-1), 2, targets.unsqueeze(-1)).squeeze(-1)


def _gradient_checkpointing(model) -> bool:
    """Whether any submodule recomputes activations (transformers then refuses a KV cache in
    training mode, so a prompt's keys and values cannot be handed to a second forward)."""
    return any(
        getattr(m, "gradient_checkpointing", False) is True for m in module_of(model).modules()
    )


def shared_prompt_logprobs(
    model,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    response_ids: torch.Tensor,
    response_mask: torch.Tensor,
    prompt_index: torch.Tensor,
) -> torch.Tensor:
    """Response log-probs where several rows share a prompt, running each prompt once.

    The prompts go through the model once, keeping their keys and values; every row's
    response then attends to its prompt's cached keys and values. Gradients flow back through
    the cache into the prompt forward, so the result and its gradients are those of
    ``sequence_logprobs`` on the concatenated rows, at the cost of G prompts instead of B.
    DPO pairs (two responses per prompt) and n samples per prompt are the cases that gain:
    with 300-token prompts and 33-token responses a pair costs 366 tokens instead of 666.

    Args:
        prompt_ids: (G, P) left-padded unique prompts.
        prompt_mask: (G, P).
        response_ids: (B, T) responses, right-padded after EOS.
        response_mask: (B, T).
        prompt_index: (B,) long, the prompt row of each response.

    Returns:
        (B, T) log pi(a_t | s_t) for the response tokens.
    """
    T = response_ids.shape[1]
    out = prefill_prompts(model, prompt_ids, prompt_mask)
    # Left padding: the last position is every prompt's last real token; its logits predict
    # the first response token.
    first = out.logits[prompt_index, -1:, :].float()  # (B, 1, V)
    if T == 1:
        logits = first
    else:
        cache = cache_of(out)
        cache.batch_select_indices(prompt_index)  # (G, ...) -> (B, ...), differentiable
        # The last response token predicts nothing that is scored, so it is not fed.
        mask = torch.cat([prompt_mask[prompt_index], response_mask[:, :-1]], dim=1)
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)[:, -(T - 1) :]
        rest = model(
            input_ids=response_ids[:, :-1],
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
        ).logits.float()  # (B, T - 1, V)
        logits = torch.cat([first, rest], dim=1)
    return torch.gather(F.log_softmax(logits, dim=-1), 2, response_ids.unsqueeze(-1)).squeeze(-1)


def rollout_logprobs(model, rollout: Rollout) -> torch.Tensor:
    """(B, T) log-probs of ``rollout``'s response tokens under ``model`` (grad if enabled).

    Rows that share a prompt (n samples of one prompt, the two sides of DPO pairs) run that
    prompt once (``shared_prompt_logprobs``); rows with distinct prompts, and models with
    gradient checkpointing (which refuse a KV cache while training), take one forward over
    prompt and response.
    """
    rows = torch.cat([rollout.prompt_ids, rollout.prompt_mask], dim=1)
    unique, prompt_index = torch.unique(rows, dim=0, return_inverse=True)
    if unique.shape[0] == rows.shape[0] or _gradient_checkpointing(model):
        return sequence_logprobs(
            model, rollout.input_ids, rollout.attention_mask, rollout.response_ids.shape[1]
        )
    P = rollout.prompt_ids.shape[1]
    return shared_prompt_logprobs(
        model,
        unique[:, :P],
        unique[:, P:],
        rollout.response_ids,
        rollout.response_mask,
        prompt_index,
    )
