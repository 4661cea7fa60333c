"""The project's own decode loop: G prompts prefilled once, continued into R rows, one model
forward per token, the next token chosen as transformers' ``generate`` chooses it.

Why not ``model.generate``: a row that shares its prompt with others (ReMax's sampled and
greedy continuations, n samples per prompt) would have its prompt run once per row; and per
token ``generate`` walks logits-processor and stopping-criteria objects this loop does not
need. On CPU the loop also runs the linear layers on oneDNN-prepacked weights
(``common.generation.prepacked``) and picks top-p nuclei without a full ``torch.sort``
(``common.generation.sampling``), the two largest per-token costs after the weights
themselves; a LoRA policy first has its adapters folded into the base weights
(``common.generation.lora_merge``), so each adapted layer is one packed linear instead of
peft's five operations.

Shapes: G = prompts, R = output rows, P = padded prompt length, T = generated length.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from common.generation.lora_merge import lora_merged
from common.generation.prefill import cache_of, prefill_prompts
from common.generation.prepacked import prepacked_linears
from common.generation.sampling import next_tokens


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
    prepack: bool = True,
    merge_lora: bool = True,
) -> torch.Tensor:
    """Continue G prompts into R rows with one prefill per prompt.

    The prompts run once (KV cache kept); the cache is then expanded to the R rows
    (``rows[r]`` is row r's prompt) and every decode step feeds all rows together: the first
    ``sampled`` rows sample (temperature, top-p), the others are greedy. A row that emitted an
    EOS is padded; decoding stops when every row has. Per row this is what ``generate`` does
    for that prompt alone (same positions, same masks, same sampling distribution; the
    sampled rows draw from the global RNG by ``common.generation.sampling.draw``, not
    ``generate``'s ``torch.multinomial``), at the cost of G prompt forwards instead of R.

    Args:
        prompt_ids: (G, P) left-padded prompts; prompt_mask: (G, P).
        rows: (R,) long prompt index of each output row; sampled rows first.
        min_new_tokens: EOS is not chosen before this many tokens (generation_config's).
        prepack: run CPU linear layers on prepacked weights (``common.generation.prepacked``; the
            outputs are bf16-identical, fp32 within rounding).

    Returns:
        (R, T) generated ids, T <= max_new_tokens, pad after each row's first EOS.
    """
    R = rows.shape[0]
    # LoRA folded in first (one linear per adapted layer), then those weights packed.
    with (
        lora_merged(model, enabled=merge_lora),
        prepacked_linears(model, batch_hint=R, enabled=prepack),
    ):
        out = prefill_prompts(model, prompt_ids, prompt_mask)
        cache = cache_of(out)
        cache.batch_select_indices(rows)  # (G, ...) -> (R, ...)
        logits = out.logits[rows, -1, :].float()
        del out
        P = prompt_ids.shape[1]
        # The mask of every step is a prefix of one buffer: generated tokens are attended
        # (also the pads after an EOS, as generate does), so each step sets one column.
        attention = torch.cat([prompt_mask[rows], prompt_mask.new_ones(R, max_new_tokens)], dim=1)
        # A new token's position is the number of tokens attended before it.
        next_position = prompt_mask[rows].sum(dim=1, keepdim=True)
        eos = torch.as_tensor(list(eos_ids), device=prompt_ids.device)
        done = torch.zeros(R, dtype=torch.bool, device=prompt_ids.device)
        tokens: list[torch.Tensor] = []
        for t in range(max_new_tokens):
            if t < min_new_tokens:  # as transformers' MinNewTokensLengthLogitsProcessor
                logits[:, eos] = float("-inf")
            nxt = next_tokens(logits, sampled, temperature, top_p).masked_fill(done, pad_id)
            tokens.append(nxt)
            done |= torch.isin(nxt, eos)
            if t == max_new_tokens - 1 or bool(done.all()):
                break
            logits = (
                model(
                    input_ids=nxt[:, None],
                    attention_mask=attention[:, : P + t + 1],
                    position_ids=next_position + t,
                    cache=cache,
                    use_cache=True,
                )
                .logits[:, -1, :]
                .float()
            )
    return torch.stack(tokens, dim=1)
