"""Decode speed against the memory-bandwidth bound measured in the same run.

    python -m bench.bench_decode [--model default] [--precision auto] [--batch-size 4]
        [--new-tokens 32] [--rounds 3] [--variants hf,loop,packed,sampled,static,compile]

A decode step of a small model at batch 4 is memory-bound: every step reads every weight
once (plus the KV cache). The floor of one step is therefore

    bound_s = (bytes of weights + bytes of KV cache read per step) / bandwidth

with the bandwidth measured here, in the same run, by a bare large copy (``dst.copy_(src)``
of 2 x 256 MiB: bytes read + bytes written per second, STREAM's "copy" count). Each round
times, interleaved (the machine is shared, so only ratios measured side by side mean
anything): the copy, then every variant's per-token decode time, taken as

    (time of N + 1 new tokens - time of 1 new token) / N

so the prompt's prefill cancels out. Variants:
    hf       transformers ``generate`` (dynamic KV cache), greedy;
    loop     ``common.generation.decode.decode_from_shared_prefill`` with plain ``F.linear``
             layers (one forward per token, no logits processors, no stopping-criteria
             objects);
    packed   the same loop as the project runs it: linear layers on oneDNN-prepacked
             weights (``common.generation.prepacked``; packing is paid in both timed calls
             and cancels);
    sampled  ``packed`` with the first half of the rows sampled at ReMax's settings
             (temperature 0.8, top-p 0.8: the sort-free nucleus of
             ``common.generation.sampling``), the others greedy, as a ReMax rollout decodes;
    static   ``generate`` with ``cache_implementation="static"`` (pre-allocated KV cache);
    compile  ``static`` plus ``torch.compile`` (inductor) of the decode forward; transformers
             compiles it only on accelerators unless its ``CompileConfig`` says all devices,
             which this variant does; the first call pays the compilation, reported apart
             and left out of the per-token time;
    peft     (``--lora`` only) ``packed`` with the LoRA adapters run by peft (five small
             operations per adapted layer) instead of folded into the base weights
             (``common.generation.lora_merge``, what ``packed`` does on a LoRA policy).
``--lora`` wraps the policy in LoRA as LASeR does (``conf/model/smollm2.yaml``: r 16, alpha
32, every linear layer) and writes ``decode_lora.json``.
Target: bound_s / per-token time of the fastest variant >= 0.5 at batch 4.
Writes ``bench/results/decode.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from typing import Any

import torch

from bench.bench_drbo import (
    RESULTS,
    add_threads_option,
    apply_threads,
    machine,
    median,
    verdict_row,
    write_result,
)

TARGET = 0.5
VARIANTS = ("hf", "loop", "packed", "sampled", "static", "compile")
LORA_VARIANTS = ("peft", "packed")


def copy_bandwidth(mib: int = 256, reps: int = 5) -> float:
    """Bytes moved per second (read + write) by a bare ``copy_`` of ``mib`` MiB, best of reps
    (the best is the machine's capability; the rest is other jobs)."""
    n = mib * 2**20 // 4
    src, dst = torch.rand(n), torch.empty(n)
    dst.copy_(src)  # fault the pages in
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        dst.copy_(src)
        best = min(best, time.perf_counter() - t0)
    return 2 * n * 4 / best


def bytes_per_step(model: Any, batch: int, context: int) -> dict[str, int]:
    """Weight bytes (every parameter once: a tied LM head is read once, as the head; the
    embedding lookup reads B rows only) and KV-cache bytes at ``context`` tokens."""
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    cfg = model.config
    layers = cfg.num_hidden_layers
    kv_heads = getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    elem = next(model.parameters()).element_size()
    kv = 2 * layers * batch * context * kv_heads * head_dim * elem
    return {"weights": weights, "kv_cache": kv, "total": weights + kv}


def _cpu_compile_config():
    """transformers' CompileConfig (inductor, static shapes) with compilation allowed on the
    CPU (by default ``generate`` compiles only on CUDA/XPU/TPU and silently runs eager)."""
    from transformers import CompileConfig

    config = CompileConfig(fullgraph=False, dynamic=False, mode="default")
    config._compile_all_devices = True
    return config


class Decoder:
    """The variants on one model and one pre-tokenized batch, each forced to N tokens."""

    def __init__(self, model: Any, tok: Any, prompts: list[str], max_prompt_tokens: int | None):
        self.model, self.tok = model, tok
        self.enc = tok(
            prompts,
            return_tensors="pt",
            padding=True,
            truncation=max_prompt_tokens is not None,
            max_length=max_prompt_tokens,
            add_special_tokens=False,
        )
        self.compile_s: float | None = None

    def run(self, variant: str, n: int) -> float:
        """Seconds to produce ``n`` new tokens for the batch with ``variant``."""
        from common.generation.rollout import _eos_ids, decode_from_shared_prefill

        m, enc = self.model, self.enc
        t0 = time.perf_counter()
        with torch.no_grad():
            if variant in ("loop", "packed", "sampled", "peft"):
                B = enc["input_ids"].shape[0]
                ids = decode_from_shared_prefill(
                    m,
                    enc["input_ids"],
                    enc["attention_mask"],
                    torch.arange(B),
                    sampled=B // 2 if variant == "sampled" else 0,
                    max_new_tokens=n,
                    eos_ids=_eos_ids(m, self.tok),
                    pad_id=self.tok.pad_token_id,
                    temperature=0.8,
                    top_p=0.8,
                    min_new_tokens=n,
                    prepack=variant != "loop",
                    merge_lora=variant != "peft",
                )
                assert ids.shape[1] == n
            else:
                kw: dict[str, Any] = {}
                if variant in ("static", "compile"):
                    kw["cache_implementation"] = "static"
                if variant == "static":
                    kw["disable_compile"] = True
                if variant == "compile":
                    kw["compile_config"] = _cpu_compile_config()
                out = m.generate(
                    **enc,
                    max_new_tokens=n,
                    min_new_tokens=n,
                    do_sample=False,
                    temperature=None,
                    top_p=None,
                    top_k=None,
                    pad_token_id=self.tok.pad_token_id,
                    **kw,
                )
                assert out.shape[1] == enc["input_ids"].shape[1] + n
        return time.perf_counter() - t0

    def per_token(self, variant: str, n: int) -> float:
        return (self.run(variant, n + 1) - self.run(variant, 1)) / n


def run(
    model_name: str = "default",
    precision: str = "auto",
    batch_size: int = 4,
    new_tokens: int = 32,
    rounds: int = 3,
    variants: tuple[str, ...] = VARIANTS,
    lora: bool = False,
) -> dict[str, Any]:
    from common.data.formatting import format_prompt
    from common.data.run_data import load_run_data
    from common.models.assets import load_causal_lm
    from common.models.precision import cast_parameters, resolve_precision, torch_dtype
    from experiments.compose import compose_config

    used = resolve_precision(precision)
    model, tok = load_causal_lm(model_name)
    cfg = compose_config("+exp=shopping_mmlu")
    if lora:
        from omegaconf import OmegaConf

        from common.training.policy import apply_lora

        model = apply_lora(model, OmegaConf.merge(cfg.model.lora, {"enabled": True}))
    cast_parameters(model, torch_dtype(used)).eval()  # as the trained policy is cast
    train, _ = load_run_data(cfg.dataset, list(cfg.rewards.names), cfg.rewards.routing)
    # A batch as the trainer draws one (the first rows of the file are short questions).
    rows = random.Random(0).sample(train, batch_size)
    prompts = [format_prompt(tok, ex.prompt) for ex in rows]
    dec = Decoder(model, tok, prompts, cfg.dataset.get("max_prompt_tokens"))
    P = int(dec.enc["input_ids"].shape[1])
    moved = bytes_per_step(model, batch_size, P + new_tokens // 2)

    errors: dict[str, str] = {}
    if "compile" in variants:
        t0 = time.perf_counter()
        try:
            dec.run("compile", 3)  # compiles the decode forward (and the prefill shape)
            dec.run("compile", new_tokens + 1)
        except Exception as err:  # noqa: BLE001 - report what failed, keep the other variants
            errors["compile"] = f"{type(err).__name__}: {str(err)[:300]}"
            variants = tuple(v for v in variants if v != "compile")
        dec.compile_s = round(time.perf_counter() - t0, 2)
    for v in variants:
        dec.run(v, 2)  # warm-up: allocations, first kernels

    bw: list[float] = []
    times: dict[str, list[float]] = {v: [] for v in variants}
    ratios: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(rounds):
        b = copy_bandwidth()
        bw.append(b)
        bound = moved["total"] / b
        for v in variants:
            t = dec.per_token(v, new_tokens)
            times[v].append(t)
            ratios[v].append(bound / t)
    bound_s = moved["total"] / median(bw)
    per_variant = {
        v: {
            "per_token_ms": round(1e3 * median(times[v]), 2),
            "bound_ratio": round(median(ratios[v]), 4),
        }
        for v in variants
    }
    best = max(per_variant, key=lambda v: per_variant[v]["bound_ratio"])
    value = per_variant[best]["bound_ratio"]
    res: dict[str, Any] = {
        "bench": "decode",
        "machine": machine(),
        "load_average": list(os.getloadavg()),
        "model": model_name,
        "lora": lora,
        "precision": used,
        "batch_size": batch_size,
        "prompt_tokens": P,
        "new_tokens": new_tokens,
        "rounds": rounds,
        "bytes_per_step": moved,
        "copy_bandwidth_gb_s": round(median(bw) / 1e9, 2),
        "bound_ms": round(1e3 * bound_s, 2),
        "variants": per_variant,
        "best": best,
        "compile_s": dec.compile_s,
        "errors": errors,
    }
    res["verdicts"] = [
        verdict_row(
            "decode: batch-4 decode / bandwidth bound" + (" (LoRA policy)" if lora else ""),
            value,
            f">= {TARGET}",
            value >= TARGET,
            f"decode at {value:.2f} of the bandwidth bound ({best}: "
            f"{per_variant[best]['per_token_ms']} ms a token vs {res['bound_ms']} ms; "
            f"target >= {TARGET})",
        )
    ]
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", default=None, help="default: " + ",".join(VARIANTS))
    ap.add_argument(
        "--lora",
        action="store_true",
        help="a LoRA policy: LoRA folded in vs run by peft (variants default peft,packed)",
    )
    ap.add_argument("--results-dir", default=str(RESULTS))
    add_threads_option(ap)
    args = ap.parse_args(argv)
    apply_threads(args.threads)
    if "peft" in (args.variants or "").split(",") and not args.lora:
        ap.error("--variants peft needs --lora (it is the LoRA policy run through peft)")
    variants = args.variants or ",".join(LORA_VARIANTS if args.lora else VARIANTS)
    res = run(
        args.model,
        args.precision,
        args.batch_size,
        args.new_tokens,
        args.rounds,
        tuple(v for v in variants.split(",") if v),
        lora=args.lora,
    )
    print(
        f"decode, {res['model']} {res['precision']}, batch {res['batch_size']}, "
        f"{res['prompt_tokens']}-token prompts; copy bandwidth {res['copy_bandwidth_gb_s']} GB/s, "
        f"{res['bytes_per_step']['total'] / 1e6:.0f} MB a step -> bound {res['bound_ms']} ms"
    )
    for v, r in res["variants"].items():
        print(f"  {v:<8} {r['per_token_ms']:>8.2f} ms/token  {r['bound_ratio']:.3f} of the bound")
    if res["compile_s"] is not None:
        print(f"  compile set-up {res['compile_s']} s; errors: {res['errors'] or 'none'}")
    print(res["verdicts"][0]["line"])
    from pathlib import Path

    write_result("decode_lora.json" if args.lora else "decode.json", res, Path(args.results_dir))
    return res


if __name__ == "__main__":
    main()
