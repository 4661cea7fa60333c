"""Batched policy rollout: sampled and greedy generation with the KV cache and left padding,
response masks that stop at the first EOS, and log-probs of response tokens only.

Shapes: B = number of sequences, P = padded prompt length, T = generated length.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch

from common.generation.batch import Rollout
from common.generation.decode import decode_from_shared_prefill

# Log-probs live in generation/logprobs.py, top-p in generation/sampling.py; these names stay
# importable from here (the room's front door: rollout, its log-probs, its sampling).
from common.generation.logprobs import (  # noqa: F401
    rollout_logprobs,
    sequence_logprobs,
    shared_prompt_logprobs,
)
from common.generation.lora_merge import lora_merged
from common.generation.sampling import top_p_filter  # noqa: F401


def response_mask_until_eos(response_ids: torch.Tensor, eos_ids: Sequence[int]) -> torch.Tensor:
    """(B, T) mask that is 1 up to and including the first EOS of each row, 0 after.

    Keeping the EOS itself in the mask lets the policy learn when to stop.
    """
    is_eos = torch.zeros_like(response_ids, dtype=torch.bool)
    for e in eos_ids:
        is_eos |= response_ids == e
    # Number of EOS tokens strictly before position t; a token is kept while that is 0.
    eos_before = torch.cumsum(is_eos.long(), dim=1) - is_eos.long()
    return (eos_before == 0).long()


def _eos_ids(model, tokenizer) -> list[int]:
    eos = model.generation_config.eos_token_id
    if eos is None:
        eos = tokenizer.eos_token_id
    return [eos] if isinstance(eos, int) else list(eos)


@torch.no_grad()
def generate(
    model,
    tokenizer,
    prompts: Sequence[str],
    max_new_tokens: int,
    do_sample: bool = True,
    temperature: float = 1.0,
    top_p: float = 1.0,
    num_return_sequences: int = 1,
    max_prompt_tokens: int | None = None,
) -> Rollout:
    """Generate for a batch of already formatted prompts.

    With ``num_return_sequences = n`` each prompt's n responses are adjacent, so the output
    has B = n * len(prompts) rows in the order p0r0, p0r1, ..., p1r0, ...
    """
    device = next(model.parameters()).device
    enc = _encode_prompts(tokenizer, prompts, max_prompt_tokens, device)
    was_training = model.training
    model.eval()
    start = time.perf_counter()
    if _plain_decoding(model.generation_config):
        # What model.generate returns (greedy rows token for token, sampled rows from the
        # same distribution: common.generation.sampling.draw), each prompt prefilled once for
        # its n rows (common.generation.decode).
        G = enc["input_ids"].shape[0]
        response_ids = decode_from_shared_prefill(
            model,
            enc["input_ids"],
            enc["attention_mask"],
            torch.arange(G, device=device).repeat_interleave(num_return_sequences),
            sampled=G * num_return_sequences if do_sample else 0,
            max_new_tokens=max_new_tokens,
            eos_ids=_eos_ids(model, tokenizer),
            pad_id=tokenizer.pad_token_id,
            temperature=temperature,
            top_p=top_p,
            min_new_tokens=int(model.generation_config.min_new_tokens or 0),
        )
    else:
        response_ids = _hf_generate(
            model,
            tokenizer,
            enc,
            max_new_tokens,
            do_sample,
            temperature,
            top_p,
            num_return_sequences,
        )
    seconds = time.perf_counter() - start
    model.train(was_training)
    mask = response_mask_until_eos(response_ids, _eos_ids(model, tokenizer))
    response_ids = response_ids.masked_fill(mask == 0, tokenizer.pad_token_id)
    texts = tokenizer.batch_decode(response_ids, skip_special_tokens=True)
    prompt_ids = enc["input_ids"].repeat_interleave(num_return_sequences, dim=0)
    prompt_mask = enc["attention_mask"].repeat_interleave(num_return_sequences, dim=0)
    return Rollout(prompt_ids, prompt_mask, response_ids, mask, texts, seconds)


def _hf_generate(
    model, tokenizer, enc, max_new_tokens, do_sample, temperature, top_p, num_return_sequences
) -> torch.Tensor:
    """(R, T) new tokens from ``model.generate`` (the generation_config's logits processors
    applied)."""
    kwargs = dict(do_sample=do_sample, num_return_sequences=num_return_sequences)
    if do_sample:
        kwargs.update(temperature=temperature, top_p=top_p, top_k=0)
    else:
        # Explicitly unset sampling knobs so a model's generation_config can't warn or sample.
        kwargs.update(temperature=None, top_p=None, top_k=None)
    with lora_merged(
        model
    ):  # one linear per LoRA layer while decoding (common.generation.lora_merge)
        out = model.generate(
            **enc,
            max_new_tokens=max_new_tokens,
            pad_token_id=tokenizer.pad_token_id,
            use_cache=True,
            **kwargs,
        )
    return out[:, enc["input_ids"].shape[1] :]


# generation_config fields whose default leaves the logits as they are; any other value needs
# transformers' logits processors or stopping criteria, which decode_from_shared_prefill does
# not apply (generate then calls model.generate).
_NEUTRAL_GENERATION = {
    "repetition_penalty": (None, 1.0),
    "no_repeat_ngram_size": (None, 0),
    "bad_words_ids": (None,),
    "suppress_tokens": (None,),
    "begin_suppress_tokens": (None,),
    "forced_bos_token_id": (None,),
    "forced_eos_token_id": (None,),
    "encoder_repetition_penalty": (None, 1.0),
    "typical_p": (None, 1.0),
    "epsilon_cutoff": (None, 0.0),
    "eta_cutoff": (None, 0.0),
    "min_p": (None,),
    "sequence_bias": (None,),
    "renormalize_logits": (None, False),
    "min_length": (None, 0),
    "exponential_decay_length_penalty": (None,),
    "guidance_scale": (None, 1.0),
    "watermarking_config": (None,),
    "stop_strings": (None,),
    "max_time": (None,),
}


def _plain_decoding(generation_config) -> bool:
    return all(
        getattr(generation_config, k, None) in neutral for k, neutral in _NEUTRAL_GENERATION.items()
    )


@torch.no_grad()
def generate_sampled_and_greedy(
    model,
    tokenizer,
    prompts: Sequence[str],
    max_new_tokens: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    max_prompt_tokens: int | None = None,
) -> tuple[Rollout, Rollout]:
    """ReMax's two continuations of each prompt (one sampled, one greedy) from one prefill.

    Same rows as ``generate(do_sample=True)`` and ``generate(do_sample=False)`` on
    ``prompts``; the prompt is run once instead of twice and the two continuations decode
    together (2G rows a step). ``seconds`` of each rollout is the shared wall time.

    Returns:
        (sampled, greedy): two G-row rollouts.
    """
    device = next(model.parameters()).device
    enc = _encode_prompts(tokenizer, prompts, max_prompt_tokens, device)
    G = enc["input_ids"].shape[0]
    if not _plain_decoding(model.generation_config):
        # Logits processors this loop does not apply: two generate calls keep them.
        kw = dict(max_new_tokens=max_new_tokens, max_prompt_tokens=max_prompt_tokens)
        return (
            generate(
                model,
                tokenizer,
                prompts,
                do_sample=True,
                temperature=temperature,
                top_p=top_p,
                **kw,
            ),
            generate(model, tokenizer, prompts, do_sample=False, **kw),
        )
    was_training = model.training
    model.eval()
    start = time.perf_counter()
    eos = _eos_ids(model, tokenizer)
    ids = decode_from_shared_prefill(
        model,
        enc["input_ids"],
        enc["attention_mask"],
        torch.arange(G, device=device).repeat(2),
        sampled=G,
        max_new_tokens=max_new_tokens,
        eos_ids=eos,
        pad_id=tokenizer.pad_token_id,
        temperature=temperature,
        top_p=top_p,
        min_new_tokens=int(model.generation_config.min_new_tokens or 0),
    )
    seconds = time.perf_counter() - start
    model.train(was_training)
    mask = response_mask_until_eos(ids, eos)
    ids = ids.masked_fill(mask == 0, tokenizer.pad_token_id)
    texts = tokenizer.batch_decode(ids, skip_special_tokens=True)
    halves = []
    for part in (slice(0, G), slice(G, 2 * G)):
        # Both halves were decoded to the longer one's length; ``generate`` on one half alone
        # stops when that half is done: cut the columns after this half's longest response.
        width = max(1, int(mask[part].sum(dim=1).max()))
        halves.append(
            Rollout(
                enc["input_ids"],
                enc["attention_mask"],
                ids[part, :width],
                mask[part, :width],
                texts[part],
                seconds,
            )
        )
    return halves[0], halves[1]


def _encode_prompts(tokenizer: Any, prompts: Sequence[str], max_prompt_tokens: int | None, device):
    """Left-padded prompt ids and attention mask, shape (G, P), on ``device``."""
    if tokenizer.padding_side != "left":
        raise ValueError("batched generation needs tokenizer.padding_side == 'left'")
    return tokenizer(
        list(prompts),
        return_tensors="pt",
        padding=True,
        truncation=max_prompt_tokens is not None,
        max_length=max_prompt_tokens,
        add_special_tokens=False,
    ).to(device)
