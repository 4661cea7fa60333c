"""One-GPU check of the bf16 paths: ``make gpu-check`` (under 8 minutes on one GPU).

    python -m bench.gpu_check [--model default] [--steps 2] [--out bench/results/gpu_check.json]

Runs, on the embedded policy:
  1. ``model.precision=auto`` resolves to bf16 on this GPU;
  2. ReMax steps (+exp=shopping_mmlu) under ZeRO-2 and ZeRO-3 in bf16: finite losses, a bf16
     module, fp32 master weights; seconds a step;
  3. LASeR steps (+exp=gsm8k_laser, LoRA) under ZeRO-2 and ZeRO-3 in bf16, the same checks;
  4. shared-prompt log-probs in bf16 against the per-row forward (two responses a prompt):
     largest and mean absolute difference of the response log-probs, and the same for fp32
     as the yardstick of what batching alone changes;
  5. the shared-prefill rollout's greedy rows against ``generate(do_sample=False)``: the
     fraction of identical tokens (bf16 kernels may break near-ties differently with a
     different batch shape, so this is a figure, not a pass/fail);
  6. where vLLM is installed (``make install-gpu`` puts the official wheel in .venv-vllm),
     ``rollout.engine=vllm`` on the bf16 policy: the engine's start, a weight sync after a
     change to the policy, and its greedy rows against the decode loop's before and after the
     sync (pass: the sync changed the engine's rows, and both agreements are >= 0.9).
Writes one JSON of figures with a ``checks`` list of pass/fail lines. Without CUDA it says so
and exits 0 (the CPU paths are covered by the test suite).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import torch

from bench.harness import RESULTS, machine, pass_word, write_json

# bf16 carries 8 mantissa bits: a log-prob of magnitude ~10 is exact to ~0.04; the shared
# path reorders sums (prompt once, cache re-used), so allow a few such steps per token.
LOGPROB_MAX_ABS_BF16 = 0.25
LOGPROB_MEAN_ABS_BF16 = 0.03


def check(name: str, passed: bool, detail: str) -> dict[str, Any]:
    return {
        "name": name,
        "pass": bool(passed),
        "line": f"{name}: {detail}: {pass_word(passed)}",
    }


def shared_vs_per_row(model: Any, tok: Any, prompts: list[str], device: str) -> dict[str, float]:
    """Max / mean |shared_prompt_logprobs - sequence_logprobs| over response tokens, for two
    sampled responses per prompt, with ``model`` as it is (its dtype is the one checked)."""
    from common.generation.rollout import generate, sequence_logprobs, shared_prompt_logprobs

    torch.manual_seed(0)
    r = generate(model, tok, prompts, 16, do_sample=True, num_return_sequences=2)
    G = len(prompts)
    index = torch.arange(G, device=device).repeat_interleave(2)
    prompt_ids, prompt_mask = r.prompt_ids[::2].to(device), r.prompt_mask[::2].to(device)
    with torch.no_grad():
        shared = shared_prompt_logprobs(
            model,
            prompt_ids,
            prompt_mask,
            r.response_ids.to(device),
            r.response_mask.to(device),
            index,
        )
        rows = sequence_logprobs(
            model, r.input_ids.to(device), r.attention_mask.to(device), r.response_ids.shape[1]
        )
    mask = r.response_mask.to(device).bool()
    diff = (shared - rows).abs()[mask]
    return {"max_abs": float(diff.max()), "mean_abs": float(diff.mean()), "tokens": int(mask.sum())}


def greedy_agreement(model: Any, tok: Any, prompts: list[str]) -> float:
    """Fraction of response positions where the shared-prefill greedy rows equal generate's."""
    from common.generation.rollout import generate, generate_sampled_and_greedy

    want = generate(model, tok, prompts, 24, do_sample=False)
    _, got = generate_sampled_and_greedy(model, tok, prompts, 24)
    T = min(want.response_ids.shape[1], got.response_ids.shape[1])
    return float((want.response_ids[:, :T] == got.response_ids[:, :T]).float().mean())


VLLM_AGREEMENT_MIN = 0.9


def vllm_vs_loop(model: Any, tok: Any, prompts: list[str], n_tokens: int = 24) -> dict[str, Any]:
    """rollout.engine=vllm against the decode loop on ``model``: greedy agreement (fraction
    of equal response positions) before and after a weight sync, whether the sync changed
    the engine's rows, start and sync seconds. ``{"skipped": reason}`` without vLLM."""
    from common.generation.engines import vllm_python
    from common.generation.rollout import generate
    from common.generation.vllm_engine import VllmEngine

    python = vllm_python("auto")
    if python is None:
        return {"skipped": "no Python with vLLM (make install-gpu puts it in .venv-vllm)"}

    def agreement(a, b) -> float:
        T = min(a.response_ids.shape[1], b.response_ids.shape[1])
        return float((a.response_ids[:, :T] == b.response_ids[:, :T]).float().mean())

    t0 = time.perf_counter()
    engine = VllmEngine(lambda: model, tok, python=python)
    try:
        start_s = time.perf_counter() - t0
        before = engine.generate(prompts, n_tokens, do_sample=False)
        res = {"start_s": round(start_s, 2)}
        res["agreement_before"] = agreement(
            before, generate(model, tok, prompts, n_tokens, do_sample=False)
        )
        with torch.no_grad():  # a step's worth of change, reproducibly
            g = torch.Generator(device="cpu").manual_seed(0)
            for p in model.parameters():
                noise = torch.randn(p.shape, generator=g).to(p.device, p.dtype)
                p.add_(noise * 0.1 * p.float().std().to(p.dtype))
        engine.policy_updated()
        after = engine.generate(prompts, n_tokens, do_sample=False)
        res["sync_s"] = round(engine.sync_seconds[-1], 3)
        res["agreement_after"] = agreement(
            after, generate(model, tok, prompts, n_tokens, do_sample=False)
        )
        res["sync_changed_rows"] = not torch.equal(before.response_ids, after.response_ids)
    finally:
        engine.close()
    res["ok"] = (
        res["sync_changed_rows"]
        and res["agreement_before"] >= VLLM_AGREEMENT_MIN
        and res["agreement_after"] >= VLLM_AGREEMENT_MIN
    )
    return res


def steps_under(kind: str, stage: int, model: str, steps: int) -> dict[str, Any]:
    from bench.bench_precision import build_loop, timed_step

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        loop = build_loop(kind, "auto", tmp, model, steps, extra=[f"engine=zero{stage}"])
        setup = time.perf_counter() - t0
        seconds, losses = [], []
        for step in range(1, steps + 1):
            s, fig = timed_step(loop, step)
            seconds.append(round(s, 3))
            losses.append(fig.get("loss"))
        dtype = str(next(loop.policy.parameters()).dtype)
        precision = loop.engine.precision
        del loop
    torch.cuda.empty_cache()
    finite = all(x is None or bool(torch.isfinite(torch.tensor(x))) for x in losses)
    return {
        "setup_s": round(setup, 2),
        "step_s": seconds,
        "losses": losses,
        "param_dtype": dtype,
        "engine_precision": precision,
        "ok": finite and precision == "bf16" and dtype == "torch.bfloat16",
    }


def run(model: str, steps: int) -> dict[str, Any]:
    from common.data.formatting import format_prompt
    from common.data.run_data import load_run_data
    from common.models.assets import load_causal_lm
    from common.models.precision import cast_parameters, resolve_precision
    from experiments.compose import compose_config

    start = time.perf_counter()
    res: dict[str, Any] = {"bench": "gpu_check", "machine": machine()}
    res["device"] = torch.cuda.get_device_name(0)
    checks = []
    auto = resolve_precision("auto")
    res["precision_auto"] = auto
    checks.append(check("precision=auto is bf16 on this GPU", auto == "bf16", auto))

    for kind in ("remax", "dpo"):
        for stage in (2, 3):
            key = f"{kind}_zero{stage}"
            try:
                res[key] = steps_under(kind, stage, model, steps)
                ok = res[key]["ok"]
                detail = f"losses {res[key]['losses']}, {res[key]['step_s']} s a step"
            except Exception as err:  # noqa: BLE001 - one failing part must not hide the rest
                res[key] = {"error": traceback.format_exc(limit=5)}
                ok, detail = False, f"{type(err).__name__}: {err}"
            checks.append(check(f"{kind} bf16 ZeRO-{stage} steps", ok, detail))

    cfg = compose_config("+exp=shopping_mmlu")
    train, _ = load_run_data(cfg.dataset, list(cfg.rewards.names), cfg.rewards.routing)
    for dtype in ("float32", "bfloat16"):
        m, tok = load_causal_lm(model)
        cast_parameters(m, getattr(torch, dtype)).to("cuda")  # as DeepSpeed casts the policy
        prompts = [format_prompt(tok, ex.prompt) for ex in train[:4]]
        res[f"shared_vs_per_row_{dtype}"] = shared_vs_per_row(m, tok, prompts, "cuda")
        res[f"greedy_agreement_{dtype}"] = greedy_agreement(m, tok, prompts)
        del m
        torch.cuda.empty_cache()
    d = res["shared_vs_per_row_bfloat16"]
    checks.append(
        check(
            "shared-prompt log-probs bf16 vs per-row",
            d["max_abs"] <= LOGPROB_MAX_ABS_BF16 and d["mean_abs"] <= LOGPROB_MEAN_ABS_BF16,
            f"max |diff| {d['max_abs']:.4f} (<= {LOGPROB_MAX_ABS_BF16}), mean "
            f"{d['mean_abs']:.5f} (<= {LOGPROB_MEAN_ABS_BF16}); fp32 max "
            f"{res['shared_vs_per_row_float32']['max_abs']:.2e}",
        )
    )
    m, tok = load_causal_lm(model)
    cast_parameters(m, torch.bfloat16).to("cuda").eval()
    prompts = [format_prompt(tok, ex.prompt) for ex in train[:4]]
    try:
        v = res["vllm_vs_loop_bfloat16"] = vllm_vs_loop(m, tok, prompts)
        if "skipped" not in v:
            detail = (
                f"greedy agreement {v['agreement_before']:.3f} before / "
                f"{v['agreement_after']:.3f} after a sync (>= {VLLM_AGREEMENT_MIN}), sync "
                f"changed the rows: {v['sync_changed_rows']}, start {v['start_s']} s, sync "
                f"{v['sync_s']} s"
            )
            checks.append(check("rollout.engine=vllm bf16 vs the decode loop", v["ok"], detail))
    except Exception as err:  # noqa: BLE001 - report it as a failed check
        res["vllm_vs_loop_bfloat16"] = {"error": traceback.format_exc(limit=5)}
        checks.append(check("rollout.engine=vllm bf16", False, f"{type(err).__name__}: {err}"))
    del m
    torch.cuda.empty_cache()
    res["checks"] = checks
    res["passed"] = sum(c["pass"] for c in checks)
    res["total_s"] = round(time.perf_counter() - start, 1)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS / "gpu_check.json")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("gpu-check: no CUDA device on this machine; nothing to check (exit 0)")
        return 0
    res = run(args.model, args.steps)
    write_json(args.out, res)
    for c in res["checks"]:
        print(c["line"])
    print(f"{res['passed']}/{len(res['checks'])} checks pass in {res['total_s']} s; {args.out}")
    return 0 if res["passed"] == len(res["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
