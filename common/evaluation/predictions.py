"""Greedy responses of a policy on held-out examples (the callers score them per metric)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from tqdm.auto import tqdm

from common.data.formatting import fit_prompts
from common.data.types import Example
from common.generation.rollout import generate

log = logging.getLogger(__name__)


def generate_predictions(
    model,
    tokenizer,
    examples: Sequence[Example],
    budget_of: Callable[[Example], int],
    batch_size: int = 8,
    max_prompt_tokens: int | None = None,
    desc: str = "generate",
    progress: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> list[str]:
    """Greedy responses, chat-templated, batched by generation budget (task type).

    Returns one text per example, in the input order. Prompts over ``max_prompt_tokens``
    are cut from the left (the question and answer cue at the end survive) and counted.
    When ``should_stop()`` turns true (a stop signal) the batches left are skipped and
    their texts stay ``""``.
    """
    prompts, cut = fit_prompts(tokenizer, [ex.prompt for ex in examples], max_prompt_tokens)
    if cut:
        log.warning(
            "%s: %d of %d prompts cut from the left to %d tokens",
            desc,
            cut,
            len(prompts),
            max_prompt_tokens,
        )
    budgets = [budget_of(ex) for ex in examples]
    texts: list[str] = [""] * len(examples)
    order = sorted(range(len(examples)), key=lambda i: budgets[i])
    chunks = []
    for i in order:  # consecutive rows with the same budget share a batch
        if chunks and budgets[chunks[-1][0]] == budgets[i] and len(chunks[-1]) < batch_size:
            chunks[-1].append(i)
        else:
            chunks.append([i])
    with tqdm(total=len(examples), desc=desc, disable=not progress, leave=False) as bar:
        for chunk in chunks:
            if should_stop is not None and should_stop():
                log.warning(
                    "%s: stop requested, %d of %d rows left ungenerated",
                    desc,
                    len(examples) - bar.n,
                    len(examples),
                )
                break
            r = generate(
                model,
                tokenizer,
                [prompts[i] for i in chunk],
                max_new_tokens=budgets[chunk[0]],
                do_sample=False,
                max_prompt_tokens=max_prompt_tokens,
            )
            for i, t in zip(chunk, r.texts, strict=True):
                texts[i] = t
            bar.update(len(chunk))
    return texts
