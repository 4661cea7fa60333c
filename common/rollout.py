"""Batched policy rollout: sampled and greedy generation with the KV cache and left padding,
response masks that stop at the first EOS, and log-probs of response tokens only.

Shapes: B = number of sequences, P = padded prompt length, T = generated length.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

# Log-probs live in common/logprobs.py; these names stay importable from here.
from common.logprobs import (  # noqa: F401
    rollout_logprobs,
    sequence_logprobs,
    shared_prompt_logprobs,
)


@dataclass
class Rollout:
    """One batch of generated responses.

    Attributes:
        prompt_ids: (B, P) left-padded prompt token ids.
        prompt_mask: (B, P) 1 on real prompt tokens.
        response_ids: (B, T) generated ids (pad after the first EOS).
        response_mask: (B, T) 1 on response tokens up to and including the first EOS.
        texts: B decoded responses (special tokens removed).
        seconds: wall time spent generating.
    """

    prompt_ids: torch.Tensor
    prompt_mask: torch.Tensor
    response_ids: torch.Tensor
    response_mask: torch.Tensor
    texts: list[str]
    seconds: float = 0.0

    @property
    def input_ids(self) -> torch.Tensor:
        """(B, P + T) prompt and response concatenated."""
        return torch.cat([self.prompt_ids, self.response_ids], dim=1)

    @property
    def attention_mask(self) -> torch.Tensor:
        """(B, P + T) attention over real prompt and response tokens."""
        return torch.cat([self.prompt_mask, self.response_mask], dim=1)

    @property
    def num_response_tokens(self) -> int:
        return int(self.response_mask.sum())


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
    kwargs = dict(do_sample=do_sample, num_return_sequences=num_return_sequences)
    if do_sample:
        kwargs.update(temperature=temperature, top_p=top_p, top_k=0)
    else:
        # Explicitly unset sampling knobs so a model's generation_config can't warn or sample.
        kwargs.update(temperature=None, top_p=None, top_k=None)
    out = model.generate(
        **enc,
        max_new_tokens=max_new_tokens,
        pad_token_id=tokenizer.pad_token_id,
        use_cache=True,
        **kwargs,
    )
    seconds = time.perf_counter() - start
    model.train(was_training)
    P = enc["input_ids"].shape[1]
    response_ids = out[:, P:]
    mask = response_mask_until_eos(response_ids, _eos_ids(model, tokenizer))
    response_ids = response_ids.masked_fill(mask == 0, tokenizer.pad_token_id)
    texts = tokenizer.batch_decode(response_ids, skip_special_tokens=True)
    prompt_ids = enc["input_ids"].repeat_interleave(num_return_sequences, dim=0)
    prompt_mask = enc["attention_mask"].repeat_interleave(num_return_sequences, dim=0)
    return Rollout(prompt_ids, prompt_mask, response_ids, mask, texts, seconds)


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """(R, V) logits with the tokens outside the nucleus set to -inf (transformers'
    ``TopPLogitsWarper``: the smallest set whose probability reaches ``top_p``, at least one
    token), so a row samples exactly as ``generate(do_sample=True, top_p=...)`` would."""
    if top_p >= 1.0:
        return logits
    ordered, order = torch.sort(logits, descending=False)
    cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
    drop = cumulative <= (1 - top_p)
    drop[:, -1:] = False  # keep the most likely token
    return logits.masked_fill(drop.scatter(1, order, drop), float("-inf"))


def _next_tokens(
    logits: torch.Tensor, sampled: int, temperature: float, top_p: float
) -> torch.Tensor:
    """(R,) next tokens from (R, V) fp32 logits: the first ``sampled`` rows draw from the
    tempered nucleus (one ``torch.multinomial`` over them, as ``generate`` draws), the others
    take the argmax."""
    greedy = logits[sampled:].argmax(dim=-1)
    if sampled == 0:
        return greedy
    scores = top_p_filter(logits[:sampled] / temperature, top_p)
    drawn = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)
    return torch.cat([drawn, greedy])


@torch.no_grad()
def decode_from_shared_prefill(
    model,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    rows: torch.Tensor,
    sampled: int,
    max_new_tokens: int,
    eos_ids: Sequence[int],
    pad_id: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    min_new_tokens: int = 0,
) -> torch.Tensor:
    """Continue G prompts into R rows with one prefill per prompt.

    The prompts run once (KV cache kept); the cache is then expanded to the R rows
    (``rows[r]`` is row r's prompt) and every decode step feeds all rows together: the first
    ``sampled`` rows sample (temperature, top-p), the others are greedy. A row that emitted an
    EOS is padded; decoding stops when every row has. Per row this is what ``generate`` does
    for that prompt alone (same positions, same masks, same sampling rule and, for the
    sampled rows, the same draws from the global RNG), at the cost of G prompt forwards
    instead of R.

    Args:
        prompt_ids: (G, P) left-padded prompts; prompt_mask: (G, P).
        rows: (R,) long prompt index of each output row; sampled rows first.
        min_new_tokens: EOS is not chosen before this many tokens (generation_config's).

    Returns:
        (R, T) generated ids, T <= max_new_tokens, pad after each row's first EOS.
    """
    position_ids = (prompt_mask.cumsum(dim=1) - 1).clamp(min=0)
    out = model(
        input_ids=prompt_ids,
        attention_mask=prompt_mask,
        position_ids=position_ids,
        use_cache=True,
        logits_to_keep=1,
    )
    cache = out.past_key_values
    cache.batch_select_indices(rows)  # (G, ...) -> (R, ...)
    logits = out.logits[rows, -1, :].float()
    attention = prompt_mask[rows]
    eos = torch.as_tensor(list(eos_ids), device=prompt_ids.device)
    done = torch.zeros(rows.shape[0], dtype=torch.bool, device=prompt_ids.device)
    tokens: list[torch.Tensor] = []
    for t in range(max_new_tokens):
        if t < min_new_tokens:  # as transformers' MinNewTokensLengthLogitsProcessor
            logits[:, eos] = float("-inf")
        nxt = _next_tokens(logits, sampled, temperature, top_p).masked_fill(done, pad_id)
        tokens.append(nxt)
        done |= torch.isin(nxt, eos)
        if t == max_new_tokens - 1 or bool(done.all()):
            break
        attention = torch.cat([attention, attention.new_ones(attention.shape[0], 1)], dim=1)
        logits = (
            model(
                input_ids=nxt[:, None],
                attention_mask=attention,
                position_ids=attention.sum(dim=1, keepdim=True) - 1,
                cache=cache,
                use_cache=True,
            )
            .logits[:, -1, :]
            .float()
        )
    return torch.stack(tokens, dim=1)


# generation_config fields whose default leaves the logits as they are; any other value needs
# transformers' logits processors, which decode_from_shared_prefill does not apply.
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
