"""The bandit's context: one vector per prompt (or their mean per batch), from the policy's
own view of the prompts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

CONTEXT_KINDS = ("mean_input_embedding", "mean_hidden", "last_hidden")


def prompt_context(
    model, tokenizer, prompts: Sequence[str], kind: str = "mean_hidden", max_tokens: int = 512
) -> np.ndarray:
    """Mean over the batch's prompts of :func:`prompt_contexts`: (d,) float64."""
    return prompt_contexts(model, tokenizer, prompts, kind, max_tokens).mean(0)


@torch.no_grad()
def prompt_contexts(
    model, tokenizer, prompts: Sequence[str], kind: str = "mean_hidden", max_tokens: int = 512
) -> np.ndarray:
    """One sentence embedding per prompt, taken from ``model``.

    Kinds:
        ``mean_input_embedding``  mean of the input token embeddings (no forward pass);
        ``mean_hidden``           mean over tokens of the last layer's hidden states;
        ``last_hidden``           the last prompt token's last-layer hidden state.

    Returns:
        (G, d) float64, one row per prompt, d = the model's hidden size.
    """
    if kind not in CONTEXT_KINDS:
        raise ValueError(f"trainer.context={kind!r}; allowed values: {', '.join(CONTEXT_KINDS)}")
    device = next(model.parameters()).device
    enc = tokenizer(
        list(prompts),
        return_tensors="pt",
        padding=True,
        truncation=True,
        max_length=max_tokens,
        add_special_tokens=False,
    ).to(device)
    mask = enc["attention_mask"].unsqueeze(-1).float()  # (G, P, 1)
    if kind == "mean_input_embedding":
        states = model.get_input_embeddings()(enc["input_ids"]).float()  # (G, P, d)
    else:
        position_ids = (enc["attention_mask"].cumsum(1) - 1).clamp(min=0)
        # Only the hidden states are used: the LM head runs on one position, not on every
        # prompt token (on a 49k vocabulary that head is about a fifth of the forward).
        out = model(**enc, position_ids=position_ids, output_hidden_states=True, logits_to_keep=1)
        states = out.hidden_states[-1].float()
    if kind == "last_hidden":
        per_prompt = states[:, -1, :]  # left padding: the last position is the last real token
    else:
        per_prompt = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (G, d)
    return per_prompt.double().cpu().numpy()
