"""The memory a run's largest rollout needs, estimated from the model's config.json before
any weight loads, so ``trainer.n_samples=4096`` fails in seconds, named, instead of with a
raw allocator error after the model loaded and "eval before" ran.

Estimate (bytes) of the largest batch of R rows, prompt P and generation N tokens:

    kv       = R * (P + N) * 2 * layers * kv_heads * head_dim * b     (K and V cache)
    decode   = R * vocab * 4                                           (one step's fp32 logits)
    logprobs = R * (N + 1) * vocab * 4 * 2    (the response log-probs: logits + log_softmax;
                                               not for rollout_eval, which takes none)

with ``b`` the compute dtype's bytes (2 for bf16, else 4). Weights, optimizer state and
activations come on top, so this is a lower bound: a run refused by it cannot fit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from experiments.validate_numbers import ConfigError

log = logging.getLogger(__name__)

# common.models.assets._tiny_gpt2's shape (built from code, no config.json on disk)
TINY_GPT2_CONFIG = {"n_layer": 2, "n_head": 2, "n_embd": 64, "vocab_size": 50257}


def model_config(name_or_path: str) -> dict | None:
    """The model's config.json as a dict, read without loading weights; None when it cannot
    be had offline (a hub id not in the cache, the embedded policy before its first use)."""
    from common.models.assets import EMBEDDED_POLICY_NAMES, TINY_GPT2, cache_dir

    if name_or_path == TINY_GPT2:
        return dict(TINY_GPT2_CONFIG, n_positions=512)
    if name_or_path in EMBEDDED_POLICY_NAMES:
        path = cache_dir() / "smollm2-135m-instruct" / "config.json"
    elif Path(name_or_path).expanduser().exists():
        path = Path(name_or_path).expanduser() / "config.json"
    else:
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(name_or_path, "config.json")
        except Exception:  # not a valid repo id, no hub library configured
            return None
        if not isinstance(cached, str):
            return None
        path = Path(cached)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def kv_bytes_per_token(config: dict, dtype_bytes: int) -> int | None:
    """K and V cache bytes one token takes over all layers; None when the config lacks a
    field (an architecture this does not know)."""
    layers = config.get("num_hidden_layers") or config.get("n_layer")
    heads = config.get("num_attention_heads") or config.get("n_head")
    hidden = config.get("hidden_size") or config.get("n_embd")
    kv_heads = config.get("num_key_value_heads") or heads
    if not (layers and heads and hidden):
        return None
    head_dim = config.get("head_dim") or hidden // heads
    return 2 * int(layers) * int(kv_heads) * int(head_dim) * dtype_bytes


@dataclass
class RolloutBatch:
    """The largest batch a run generates: its rows, the keys whose product (times
    ``factor``) gives them, and whether response log-probs are taken on it."""

    rows: int
    keys: tuple[str, ...]
    logprobs: bool
    factor: int = 1  # ReMax: a sampled and a greedy row per prompt

    def describe(self) -> str:
        return " x ".join(self.keys) + (f" x {self.factor}" if self.factor > 1 else "")


def largest_batch(cfg: DictConfig) -> RolloutBatch:
    """The trainer's largest generation batch: the training rollout (prompts x samples per
    prompt; ReMax adds a greedy row per prompt), evaluation, or the K-sample statistics."""
    tr = cfg.trainer
    name = tr.get("name")
    n = int(tr.get("n_samples") or 1)
    g = int(tr.batch_size)
    if name == "remax":
        train = RolloutBatch(g * 2, ("trainer.batch_size",), True, factor=2)
    elif name != "rollout_eval":  # every trainer config has n_samples (1 by default)
        train = RolloutBatch(g * n, ("trainer.batch_size", "trainer.n_samples"), True)
    else:
        train = RolloutBatch(g, ("trainer.batch_size",), name != "rollout_eval")
    batches = [train]
    if tr.get("eval_batch_size"):
        if name == "best_of_n":  # best-of-n evaluation samples n per prompt
            keys = ("trainer.eval_batch_size", "trainer.n_samples")
            batches.append(RolloutBatch(int(tr.eval_batch_size) * n, keys, False))
        else:
            batches.append(
                RolloutBatch(int(tr.eval_batch_size), ("trainer.eval_batch_size",), False)
            )
    if name in ("remax", "grpo", "rloo") or tr.get("advantage") is not None:  # DRBO's K samples
        keys = ("trainer.standardize_batch_size",)
        batches.append(RolloutBatch(int(tr.standardize_batch_size), keys, False))
    return max(batches, key=lambda b: (b.rows, b.logprobs))


def rollout_bytes(
    batch: RolloutBatch, prompt_tokens: int, new_tokens: int, config: dict, dtype_bytes: int
) -> int | None:
    """The module docstring's estimate; None when the config does not give the shape."""
    per_token = kv_bytes_per_token(config, dtype_bytes)
    vocab = config.get("vocab_size")
    if per_token is None or not vocab:
        return None
    total = batch.rows * (prompt_tokens + new_tokens) * per_token + batch.rows * vocab * 4
    if batch.logprobs:
        total += batch.rows * (new_tokens + 1) * vocab * 4 * 2
    return total


def available_bytes() -> tuple[int, str]:
    """Free memory where the rollout runs: the GPU's free memory with CUDA, else the
    system's available memory (psutil, which reads /proc/meminfo's MemAvailable on Linux)."""
    import torch

    if torch.cuda.is_available():
        return int(torch.cuda.mem_get_info()[0]), f"free on {torch.cuda.get_device_name()}"
    import psutil

    return int(psutil.virtual_memory().available), "available system memory"


def check_rollout_memory(cfg: DictConfig) -> None:
    """Refuse a run whose largest rollout cannot fit the free memory, estimated from the
    model's config.json (:mod:`experiments.rollout_memory`, a lower bound), before any
    weight loads. Skipped when the config cannot be read offline."""
    from common.data.run_data import prompt_token_limit
    from common.models.precision import resolve_precision

    name = str(cfg.model.name_or_path)
    config = model_config(name)
    if config is None:
        log.info("model %s: no config.json to read offline; rollout memory not estimated", name)
        return
    positions = config.get("max_position_embeddings") or config.get("n_positions")
    new = max(int(v) for v in cfg.dataset.max_new_tokens.values())
    prompt = prompt_token_limit(cfg.dataset, positions)
    if prompt is None:
        return
    precision = OmegaConf.select(cfg, "model.precision", default="auto")
    dtype_bytes = 2 if resolve_precision(precision) in ("bf16", "fp16") else 4
    batch = largest_batch(cfg)
    need = rollout_bytes(batch, int(prompt), new, config, dtype_bytes)
    if need is None:
        return
    free, where = available_bytes()
    if need > free:
        gib = 2**30
        raise ConfigError(
            f"{batch.describe()} = {batch.rows} rows of up to {prompt} prompt + {new} new tokens "
            f"(dataset.max_prompt_tokens, dataset.max_new_tokens) need at least "
            f"{need / gib:.1f} GiB for the KV cache and logits of model {name} "
            f"({'with' if batch.logprobs else 'without'} response log-probs), more than the "
            f"{free / gib:.1f} GiB {where}: lower {' or '.join(batch.keys)}"
        )
