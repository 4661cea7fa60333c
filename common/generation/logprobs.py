"""Log-probs of response tokens under a policy (shapes: B sequences, P padded prompt length,
T response length): one forward per row (:func:`sequence_logprobs`), or one forward per
distinct prompt with the KV cache shared by the rows that sampled from it
(:func:`shared_prompt_logprobs`, what DPO pairs, KTO's samples, ReMax's two continuations and
GRPO's n samples use); :func:`rollout_logprobs` picks between them for a
:class:`common.generation.batch.Rollout`.

Both paths ask the model for logits only at the positions that predict a scored (masked)
response token (transformers' boolean ``logits_to_keep``), and turn each into its token's
log-prob as ``logit[token] - logsumexp(logits)`` in fp32, a chunk of rows at a time
(:func:`token_logprobs`), instead of a full-vocabulary fp32 ``log_softmax`` over B x T x V.
Positions outside the response mask hold 0.
"""

from __future__ import annotations

import contextlib
import copy

import torch
import transformers.modeling_utils

from common.generation.batch import Rollout
from common.generation.prefill import cache_of, prefill_prompts
from common.models.unwrap import module_of

# Rows of logits turned into log-probs at once: about 16 MiB of fp32 for a 49k vocabulary,
# so the fp32 copy of a chunk stays in cache instead of a B x T x V fp32 tensor in memory.
_CHUNK_ELEMENTS = 2**22
# A response forward over a bucket of rows costs about its rows x its longest response (the
# rest is padding); each extra bucket costs a fixed overhead, counted here in tokens. On a
# CPU the forward of one token costs milliseconds and a bucket's overhead about as much as
# a few tokens; on an accelerator small forwards are launch-bound, so there one bucket.
_BUCKET_OVERHEAD_TOKENS = {"cpu": 32}
# transformers >= 5 reads a boolean (B, L) ``logits_to_keep`` as the positions to project.
_BOOLEAN_LOGITS_TO_KEEP = hasattr(transformers.modeling_utils, "slice_logits_to_keep")
# Attention for forwards that will be differentiated, by device: torch's CPU flash attention
# (what "sdpa" runs there) has a slow backward; at the testbed's shape (16 rows, 96 response
# tokens on a 100-token prompt, bf16) transformers' eager attention took about half its time
# forward + backward. Elsewhere the model's own choice stands. The reference and old-policy
# forwards (no gradient) take the same attention: in bf16 the two implementations round
# differently (log-probs ~2e-3 apart on the tiny GPT-2), which would read as a KL between a
# policy and its identical reference at step 1.
_TRAINING_ATTENTION = {"cpu": "eager"}


class _TokenLogprobs(torch.autograd.Function):
    """(N, V) logits, (N,) targets -> (N,) fp32 ``logit[target] - logsumexp(logit)``.

    Forward and backward go a chunk of rows at a time in fp32 and keep only the (N,)
    log-normalisers; the gradient ``g * (onehot(target) - softmax(logit))`` is written in the
    logits' dtype. Same values as ``log_softmax(logits.float()).gather(...)``.
    """

    @staticmethod
    def forward(ctx, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        n = logits.shape[0]
        chunk = max(1, _CHUNK_ELEMENTS // max(1, logits.shape[-1]))
        lse = torch.empty(n, dtype=torch.float32, device=logits.device)
        picked = torch.empty(n, dtype=torch.float32, device=logits.device)
        for s in range(0, n, chunk):
            block = logits[s : s + chunk].float()
            lse[s : s + chunk] = torch.logsumexp(block, dim=-1)
            picked[s : s + chunk] = block.gather(1, targets[s : s + chunk, None]).squeeze(1)
        ctx.save_for_backward(logits, targets, lse)
        ctx.chunk = chunk
        return picked - lse

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        logits, targets, lse = ctx.saved_tensors
        out = torch.empty_like(logits)
        grad = grad.float()
        for s in range(0, logits.shape[0], ctx.chunk):
            g = grad[s : s + ctx.chunk, None]
            # out of place: ``.float()`` of fp32 logits is the saved tensor itself
            block = (logits[s : s + ctx.chunk].float() - lse[s : s + ctx.chunk, None]).exp_()
            block.mul_(-g).scatter_add_(1, targets[s : s + ctx.chunk, None], g)
            out[s : s + ctx.chunk] = block
        return out, None


def token_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(N, V) logits (any float dtype), (N,) token ids -> (N,) fp32 log-probs of the tokens
    (differentiable; see :class:`_TokenLogprobs`)."""
    return _TokenLogprobs.apply(logits, targets)


def _logits_at(model, keep: torch.Tensor, **inputs) -> torch.Tensor:
    """(N, V) logits of ``model(**inputs)`` at the True places of ``keep`` (B, K), which
    covers the last K input positions. transformers' boolean ``logits_to_keep`` runs the LM
    head on those positions alone; without it, on the last K positions, then selected."""
    if not _BOOLEAN_LOGITS_TO_KEEP:
        return model(**inputs, logits_to_keep=keep.shape[1]).logits[keep]
    width = inputs["input_ids"].shape[1]
    if keep.shape[1] < width:
        keep = torch.cat([keep.new_zeros(keep.shape[0], width - keep.shape[1]), keep], dim=1)
    return model(**inputs, logits_to_keep=keep).logits


def _scatter(values: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """(N,) values at the True places of the (B, T) mask ``keep`` -> (B, T), 0 elsewhere."""
    return values.new_zeros(keep.shape).masked_scatter(keep, values)


def sequence_logprobs(
    model,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    response_len: int,
    response_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Log-probs of the last ``response_len`` tokens of each row under ``model``.

    Args:
        input_ids: (B, P + T) prompt and response ids.
        attention_mask: (B, P + T).
        response_len: T.
        response_mask: (B, T) the scored response tokens; None scores all T.

    Returns:
        (B, T) log pi(a_t | s_t) for the scored response tokens, 0 at the others.
    """
    T = response_len
    if response_mask is None:
        response_mask = torch.ones_like(input_ids[:, -T:])
    scored = response_mask.bool()
    # Positions for left-padded rows: count only real tokens so position 0 is the first one.
    position_ids = (attention_mask.cumsum(dim=1) - 1).clamp(min=0)
    # Logits at position i predict token i + 1: the LM head runs only where a scored token is
    # predicted (the full-vocabulary logits of the prompt and padding positions cost about a
    # quarter of a forward/backward on a 135M policy with 300-token prompts).
    keep = torch.cat([scored, scored.new_zeros(scored.shape[0], 1)], dim=1)  # last T + 1
    logits = _logits_at(
        model, keep, input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids
    )  # (N, V), N = scored tokens
    return _scatter(token_logprobs(logits, input_ids[:, -T:][scored]), scored)


def _gradient_checkpointing(model) -> bool:
    """Whether any submodule recomputes activations (transformers then refuses a KV cache in
    training mode, so a prompt's keys and values cannot be handed to a second forward)."""
    return any(
        getattr(m, "gradient_checkpointing", False) is True for m in module_of(model).modules()
    )


def length_buckets(lengths: list[int], overhead: int) -> list[list[int]]:
    """Rows grouped so that sum over groups of (rows x longest length + ``overhead``) is least.

    Sorting by length and cutting the sorted order into contiguous runs is optimal for this
    cost; the best cuts come from a dynamic programme over the B sorted rows (O(B^2)).

    Args:
        lengths: per row, the response positions its forward must cover.
        overhead: the fixed cost of one more forward, in tokens (a huge value: one group).

    Returns:
        Row indices per group, shortest rows first.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    n = len(order)
    best = [0.0] + [float("inf")] * n  # best[j]: least cost of the first j sorted rows
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        longest = lengths[order[j - 1]]
        for i in range(j):
            cost = best[i] + (j - i) * longest + overhead
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups, j = [], n
    while j > 0:
        groups.append(order[cut[j] : j])
        j = cut[j]
    return groups[::-1]


def _rows_of(cache, rows: torch.Tensor):
    """A cache holding ``rows`` of ``cache`` (differentiable index; ``cache`` is left as it
    is, so several groups of rows can read one prompt prefill)."""
    picked = copy.copy(cache)
    picked.layers = [copy.copy(layer) for layer in cache.layers]
    picked.batch_select_indices(rows)
    return picked


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

    On a CPU the responses go in groups of similar length (:func:`length_buckets`), each cut
    to its longest response: sampled responses end at different lengths, and a padded
    position costs a forward and backward like a real one.

    Args:
        prompt_ids: (G, P) left-padded unique prompts.
        prompt_mask: (G, P).
        response_ids: (B, T) responses, right-padded after EOS.
        response_mask: (B, T).
        prompt_index: (B,) long, the prompt row of each response.

    Returns:
        (B, T) log pi(a_t | s_t) for the masked response tokens, 0 at the others.
    """
    B, T = response_ids.shape
    scored = response_mask.bool()
    out = prefill_prompts(model, prompt_ids, prompt_mask)
    # Left padding: the last position is every prompt's last real token; its logits predict
    # the first response token.
    first = token_logprobs(out.logits[prompt_index, -1, :], response_ids[:, 0])  # (B,)
    at_rows, at_cols, values = [torch.arange(B, device=scored.device)], [0 * prompt_index], [first]
    cache = cache_of(out)
    # Fed response position j predicts token j + 1: a row whose last scored token sits at
    # index L needs positions 0..L-1 fed (L of them; none when only its first is scored).
    positions = torch.arange(T, device=scored.device)
    needed = torch.where(scored, positions, -1).amax(dim=1).clamp(min=0).tolist()
    overhead = _BUCKET_OVERHEAD_TOKENS.get(response_ids.device.type, 10**12)
    if not hasattr(cache, "layers"):
        overhead = 10**12  # a cache type this module cannot copy per group: one group
    groups = length_buckets(needed, overhead)
    for rows in groups:
        width = max(needed[i] for i in rows)
        if width == 0:
            continue
        idx = torch.tensor(rows, device=scored.device)
        keep = scored[idx, 1 : width + 1]  # (b, width)
        mask = torch.cat([prompt_mask[prompt_index[idx]], response_mask[idx, :width]], dim=1)
        if len(groups) == 1:
            cache.batch_select_indices(prompt_index[idx])  # (G, ...) -> (B, ...), differentiable
            group_cache = cache
        else:
            group_cache = _rows_of(cache, prompt_index[idx])
        logits = _logits_at(
            model,
            keep,
            input_ids=response_ids[idx, :width],
            attention_mask=mask,
            position_ids=(mask.cumsum(dim=1) - 1).clamp(min=0)[:, -width:],
            cache=group_cache,
            use_cache=True,
        )  # (N, V)
        values.append(token_logprobs(logits, response_ids[idx, 1 : width + 1][keep]))
        kept_rows, kept_cols = keep.nonzero(as_tuple=True)
        at_rows.append(idx[kept_rows])
        at_cols.append(kept_cols + 1)
    logp = first.new_zeros(B, T).index_put(
        (torch.cat(at_rows), torch.cat(at_cols)), torch.cat(values)
    )
    return logp * scored  # a first token outside the mask


@contextlib.contextmanager
def training_attention(model, device: torch.device):
    """While open, a model with torch's scaled-dot-product attention runs the attention named
    in ``_TRAINING_ATTENTION`` for ``device``, with or without autograd, so that a policy and
    its reference score tokens with the same kernels (same maths; see there).
    The choice is read at each forward from the config, so it is set there and put back."""
    config = getattr(module_of(model), "config", None)
    wanted = _TRAINING_ATTENTION.get(device.type)
    current = getattr(config, "_attn_implementation", None)
    if wanted is None or current != "sdpa":
        yield
        return
    config._attn_implementation = wanted
    try:
        yield
    finally:
        config._attn_implementation = current


def rollout_logprobs(model, rollout: Rollout) -> torch.Tensor:
    """(B, T) log-probs of ``rollout``'s response tokens under ``model`` (grad if enabled),
    0 outside the response mask.

    Rows that share a prompt (n samples of one prompt, the two sides of DPO pairs) run that
    prompt once (``shared_prompt_logprobs``); rows with distinct prompts, and models with
    gradient checkpointing (which refuse a KV cache while training), take one forward over
    prompt and response. On a CPU the attention is eager (:func:`training_attention`).
    """
    rows = torch.cat([rollout.prompt_ids, rollout.prompt_mask], dim=1)
    unique, prompt_index = torch.unique(rows, dim=0, return_inverse=True)
    with training_attention(model, rollout.response_ids.device):
        if unique.shape[0] == rows.shape[0] or _gradient_checkpointing(model):
            return sequence_logprobs(
                model,
                rollout.input_ids,
                rollout.attention_mask,
                rollout.response_ids.shape[1],
                rollout.response_mask,
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
