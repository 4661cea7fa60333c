"""The project's sampling settings as vLLM ``SamplingParams`` keyword arguments (pure: no
vLLM import, so the mapping is tested where vLLM is absent).

The rows vLLM generates must come from the distribution the decode loop samples
(``common.generation.sampling``: logits / temperature, then the top-p nucleus as transformers'
``TopPLogitsWarper``, no top-k) and stop by the same rule (the first of the policy's EOS ids,
kept in the response; ``min_new_tokens`` of the generation config holds EOS back). vLLM's
sampler applies the same two steps in the same order (``apply_top_k_top_p``: sort ascending,
drop the prefix with cumulative probability <= 1 - top_p, keep the most likely token), so
only the mapping of each knob is needed:

    project                     vLLM
    do_sample=False             temperature=0 (argmax), top_p=1
    temperature, top_p          temperature, top_p
    (no top-k, no min-p)        top_k=0, min_p=0, penalties neutral
    max_new_tokens              max_tokens
    eos ids of the policy       stop_token_ids=eos ids, ignore_eos=True (vLLM's own notion
                                of EOS, the tokenizer's, must not add a stop the loop lacks)
    min_new_tokens              min_tokens
    global torch RNG            seed per request (drawn from torch's RNG by the caller)

Generation-config fields that need logits processors the loop does not apply either
(``common.generation.rollout._NEUTRAL_GENERATION``) are refused by :func:`check_plain_generation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_TEMPERATURE = 2.0  # vLLM's SamplingParams refuses temperatures above 2


def sampling_params_kwargs(
    *,
    do_sample: bool,
    max_new_tokens: int,
    eos_ids: Sequence[int],
    temperature: float = 1.0,
    top_p: float = 1.0,
    min_new_tokens: int = 0,
    seed: int | None = None,
) -> dict[str, Any]:
    """Keyword arguments of ``vllm.SamplingParams`` for ONE response row.

    Args:
        do_sample: sample from the tempered nucleus (True) or take the argmax (False).
        max_new_tokens: the most tokens generated, EOS included.
        eos_ids: the ids that end a response (the policy generation config's EOS).
        temperature: > 0 when sampling; ignored by greedy rows.
        top_p: nucleus mass in (0, 1]; ignored by greedy rows.
        min_new_tokens: EOS is not generated before this many tokens.
        seed: the row's random seed (sampled rows only; greedy rows need none).

    Returns:
        A JSON-serializable dict: ``SamplingParams(**kwargs)`` builds the request's params.
    """
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens={max_new_tokens!r} must be an integer >= 1")
    eos = sorted({int(e) for e in eos_ids})
    if not eos:
        raise ValueError("eos_ids is empty: a response would only stop at max_new_tokens")
    kwargs: dict[str, Any] = {
        "n": 1,
        "max_tokens": int(max_new_tokens),
        "min_tokens": int(min_new_tokens or 0),
        "stop_token_ids": eos,
        "ignore_eos": True,
        "top_k": 0,
        "min_p": 0.0,
        "repetition_penalty": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        # The caller decodes the ids with the training tokenizer; vLLM's text is not needed.
        "detokenize": False,
    }
    if do_sample:
        if not 0 < temperature <= MAX_TEMPERATURE:
            raise ValueError(
                f"temperature={temperature!r} must be in (0, {MAX_TEMPERATURE}] when sampling "
                "with rollout.engine=vllm (vLLM refuses more)"
            )
        if not 0 < top_p <= 1:
            raise ValueError(f"top_p={top_p!r} must be in (0, 1]")
        kwargs.update(temperature=float(temperature), top_p=float(top_p), seed=seed)
    else:
        kwargs.update(temperature=0.0, top_p=1.0, seed=None)
    return kwargs


def check_plain_generation(generation_config: Any, neutral: dict[str, tuple]) -> None:
    """Raise ValueError naming the generation-config fields vLLM would not apply as
    transformers does (``neutral``: field -> values that leave the logits unchanged)."""
    odd = {
        k: getattr(generation_config, k, None)
        for k, allowed in neutral.items()
        if getattr(generation_config, k, None) not in allowed
    }
    if odd:
        raise ValueError(
            "rollout.engine=vllm reproduces plain temperature/top-p sampling only; the "
            f"policy's generation config sets {odd} (use rollout.engine=loop, which falls "
            "back to model.generate for these)"
        )
