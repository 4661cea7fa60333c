"""The prompt prefill shared by the decode loop and the shared-prompt log-probs: one forward
over left-padded prompts that keeps their KV cache, and the reader of that cache."""

from __future__ import annotations

import torch


def prefill_prompts(model, prompt_ids: torch.Tensor, prompt_mask: torch.Tensor):
    """One forward over (G, P) left-padded prompts that keeps their KV cache (read it with
    :func:`cache_of`); logits of the last position only, (G, 1, V), which predict each
    prompt's first new token."""
    return model(
        input_ids=prompt_ids,
        attention_mask=prompt_mask,
        position_ids=(prompt_mask.cumsum(dim=1) - 1).clamp(min=0),
        use_cache=True,
        logits_to_keep=1,
    )


def cache_of(out):
    """The KV cache of a model output (``cache`` from transformers 5.24 on, where reading
    ``past_key_values`` warns; ``past_key_values`` before)."""
    return out["cache"] if "cache" in out else out.past_key_values
