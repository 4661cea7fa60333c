"""precision=auto against fp32, side by side: ReMax and LASeR DPO steps, and why bf16 weights
rather than fp32 weights under autocast.

    python -m bench.bench_precision [--steps 3] [--warmup 1] [--model default]
        [--kinds remax,dpo,autocast] [--threads N]

(a) Steps. Two loops of one kind are built with ``model.precision=auto`` and
    ``model.precision=fp32`` (same seed, so the same batches); their steps run interleaved,
    alternating which goes first, and each step's wall time (``next_batch`` + ``train_step``)
    is taken. Ratio = median(auto) / median(fp32) over the steps after ``--warmup``. The
    machine is shared: only ratios of steps measured side by side mean anything.
      remax  +exp=shopping_mmlu (batch 4; sampled + greedy from one prefill, policy and
             reference log-probs, backward, optimizer); target <= 0.55;
      dpo    +exp=gsm8k_laser (LinUCB context, 2 samples a prompt, DPO + NLL with LoRA);
             target <= 0.6.
    On a machine where auto resolves to fp32 the ratio is ~1 and the verdict says so.
(b) autocast: on the ReMax batch, the two ways to compute in bf16 with fp32 master weights
    (what model.precision=bf16 could mean): the module in bf16 (DeepSpeed's bf16 mode, what
    the engine does) vs the fp32 module under ``torch.autocast(cpu, bfloat16)``, for the
    shared-prefill rollout and for the policy's forward + backward; plus fp32 as the base.
    The faster is the one the engine uses (common/models/precision.py says which and why).
Writes ``bench/results/precision.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from bench.harness import (
    QUIET_RUN,
    RESULTS,
    add_threads_option,
    apply_threads,
    load_average,
    machine,
    median,
    verdict_row,
    write_result,
)

TARGETS = {"remax": 0.55, "dpo": 0.6}
EXPS = {"remax": "shopping_mmlu", "dpo": "gsm8k_laser"}


def build_loop(kind: str, precision: str, tmp: str, model: str, steps: int, extra=()) -> Any:
    """A ReMax or LASeR loop of the main experiments, no evaluation, unit reward statistics."""
    from experiments.compose import compose_config

    overrides = [
        f"+exp={EXPS[kind]}",
        f"model.name_or_path={model}",
        f"model.precision={precision}",
        f"trainer.steps={steps}",
        *QUIET_RUN,
        *extra,
    ]
    if kind == "dpo":
        overrides.append("trainer.dev_stop.enabled=false")
    cfg = compose_config(*overrides, output_dir=tmp)
    if kind == "remax":
        from drbo.trainer import PolicyGradientLoop

        loop = PolicyGradientLoop(cfg, tmp)
        loop.standardizer.fit({m: [0.0, 1.0] for m in loop.reward_set.names})
    else:
        from laser.trainer import LaserLoop

        loop = LaserLoop(cfg, tmp)
    loop.prepare()
    return loop


def timed_step(loop: Any, step: int) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    figures = loop.train_step(step, loop.next_batch(step))
    return time.perf_counter() - t0, figures


def steps_side_by_side(kind: str, model: str, steps: int, warmup: int) -> dict[str, Any]:
    from common.models.precision import resolve_precision

    total = warmup + steps
    times: dict[str, list[float]] = {"auto": [], "fp32": []}
    parts: dict[str, list[dict[str, float]]] = {"auto": [], "fp32": []}
    with tempfile.TemporaryDirectory() as ta, tempfile.TemporaryDirectory() as tf:
        loops = {
            "auto": build_loop(kind, "auto", ta, model, total),
            "fp32": build_loop(kind, "fp32", tf, model, total),
        }
        for step in range(1, total + 1):
            order = ("auto", "fp32") if step % 2 else ("fp32", "auto")
            for p in order:
                s, fig = timed_step(loops[p], step)
                if step > warmup:
                    times[p].append(s)
                    parts[p].append({k[5:-2]: v for k, v in fig.items() if k.startswith("time/")})
        del loops
        gc.collect()
    ratio = median(times["auto"]) / median(times["fp32"])
    used = resolve_precision("auto")
    target = TARGETS[kind]
    res = {
        "exp": EXPS[kind],
        "auto_resolves_to": used,
        "steps_measured": steps,
        "step_s": {p: [round(t, 3) for t in v] for p, v in times.items()},
        "median_step_s": {p: round(median(v), 3) for p, v in times.items()},
        "median_parts_s": {
            p: {k: round(median([row[k] for row in rows]), 3) for k in rows[0]} if rows else {}
            for p, rows in parts.items()
        },
        "ratio_auto_over_fp32": round(ratio, 4),
        "target": target,
    }
    res["verdict"] = verdict_row(
        f"precision: {kind} step auto/fp32",
        res["ratio_auto_over_fp32"],
        f"<= {target}",
        used == "bf16" and ratio <= target,
        f"{kind} step precision=auto ({used}) / fp32 = {ratio:.3f} (target <= {target})",
    )
    return res


def autocast_vs_bf16_weights(model_name: str, rounds: int) -> dict[str, Any]:
    """Seconds of the ReMax rollout and of the policy forward + backward for: fp32 module,
    fp32 module under CPU autocast(bf16), bf16 module; interleaved, median of ``rounds``."""
    from common.data.formatting import format_prompt
    from common.data.run_data import load_run_data
    from common.generation.rollout import generate_sampled_and_greedy, rollout_logprobs
    from common.models.assets import load_causal_lm
    from common.models.precision import cast_parameters
    from experiments.compose import compose_config

    cfg = compose_config("+exp=shopping_mmlu")
    train, _ = load_run_data(cfg.dataset, list(cfg.rewards.names), cfg.rewards.routing)
    fp32, tok = load_causal_lm(model_name)
    bf16 = cast_parameters(load_causal_lm(model_name)[0], torch.bfloat16)
    prompts = [format_prompt(tok, ex.prompt) for ex in train[: int(cfg.trainer.batch_size)]]
    max_prompt = cfg.dataset.get("max_prompt_tokens")
    tok_budget = 32
    fp32.generation_config.min_new_tokens = tok_budget  # every variant makes the same tokens
    bf16.generation_config.min_new_tokens = tok_budget

    def autocast(on: bool):
        if on:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    variants = {"fp32": (fp32, False), "autocast": (fp32, True), "bf16_weights": (bf16, False)}
    out: dict[str, dict[str, list[float]]] = {v: {"rollout": [], "fwd_bwd": []} for v in variants}
    for r in range(rounds + 1):  # the first round warms up
        for name, (m, ac) in variants.items():
            torch.manual_seed(r)
            t0 = time.perf_counter()
            with autocast(ac):
                sampled, _ = generate_sampled_and_greedy(
                    m, tok, prompts, tok_budget, 0.8, 0.8, max_prompt
                )
            t1 = time.perf_counter()
            m.train()
            with autocast(ac):
                logp = rollout_logprobs(m, sampled)
                loss = -(logp * sampled.response_mask).sum() / sampled.response_mask.sum()
            loss.backward()
            m.zero_grad(set_to_none=True)
            m.eval()
            t2 = time.perf_counter()
            if r:
                out[name]["rollout"].append(t1 - t0)
                out[name]["fwd_bwd"].append(t2 - t1)
    med = {v: {k: round(median(x), 3) for k, x in parts.items()} for v, parts in out.items()}
    ratios = {
        v: {k: round(med[v][k] / med["fp32"][k], 3) for k in med[v]} for v in med if v != "fp32"
    }
    faster = {
        k: min(("autocast", "bf16_weights"), key=lambda v, k=k: med[v][k]) for k in med["fp32"]
    }
    return {"rounds": rounds, "median_s": med, "ratio_to_fp32": ratios, "faster": faster}


def run(
    model: str = "default",
    steps: int = 3,
    warmup: int = 1,
    kinds: tuple[str, ...] = ("remax", "dpo", "autocast"),
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "bench": "precision",
        "machine": machine(),
        "load_average": load_average(),
        "model": model,
    }
    verdicts = []
    for kind in kinds:
        if kind == "autocast":
            res["autocast"] = autocast_vs_bf16_weights(model, max(steps, 2))
            continue
        res[kind] = steps_side_by_side(kind, model, steps, warmup)
        verdicts.append(res[kind]["verdict"])
    res["verdicts"] = verdicts
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--kinds", default="remax,dpo,autocast")
    ap.add_argument("--results-dir", default=str(RESULTS))
    add_threads_option(ap)
    args = ap.parse_args(argv)
    apply_threads(args.threads)
    res = run(args.model, args.steps, args.warmup, tuple(k for k in args.kinds.split(",") if k))
    for kind in ("remax", "dpo"):
        if kind in res:
            r = res[kind]
            print(
                f"{kind}: median step auto {r['median_step_s']['auto']} s, fp32 "
                f"{r['median_step_s']['fp32']} s over {r['steps_measured']} interleaved steps"
            )
            print("  " + r["verdict"]["line"])
    if "autocast" in res:
        a = res["autocast"]
        for v, parts in a["median_s"].items():
            print(f"  {v:<13} rollout {parts['rollout']:.3f} s  fwd+bwd {parts['fwd_bwd']:.3f} s")
        print(f"  faster way to bf16: {a['faster']}")
    write_result("precision.json", res, Path(args.results_dir))
    return res


if __name__ == "__main__":
    main()
