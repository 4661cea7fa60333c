"""GRPO step of the IFEval testbed's shape, before and after the shared-prompt log-probs.

    python -m bench.bench_grpo_step [--rounds 3] [--warmup 1] [--model default]
        [--variants per_row,shared_v0,current] [--clock wall|cpu] [--threads N]
        [HYDRA_OVERRIDE ...]

The step is ``PolicyGradientLoop.train_step`` of ``+exp=ifeval_drbo trainer=grpo`` (4 prompts x 4
samples, 96 new tokens, the run's precision: bf16 where the CPU runs it fast, k3 KL to the
reference, one update per rollout). Only the log-prob function the step calls differs:
    per_row    one forward over prompt + response per row, logits at the last T + 1
               positions, fp32 ``log_softmax`` over the vocabulary (the path before the
               shared prompt: "today's" step of the issue);
    shared_v0  each prompt once with its KV cache shared by its n rows, then the same full
               ``log_softmax`` over every response position (the first shared-prompt path);
    current    ``common.generation.logprobs.rollout_logprobs``: the shared prompt, responses in groups
               of similar length each cut to its longest, the LM head only where a scored
               token is predicted, ``logit[token] - logsumexp`` in fp32 chunks, eager
               attention in the differentiated forward on a CPU;
    one_group  ``current`` with every response in one group (what the length groups add);
    current_sdpa  ``current`` with torch's sdpa attention in the differentiated forward
               instead of eager (what the eager attention adds).
Each round draws a batch and generates once (timed: ``generate``), then runs every
variant's ``train_step`` on that same rollout (generation skipped there), in an order that
rotates from round to round; the policy moves a little each time (lr 1e-5), which is the
same work. Parts per step: ``generate``, ``reference`` (the no-grad log-prob forward),
``policy_forward`` (the log-prob forward with grad), ``backward``, ``optimizer``, ``other``
(rewards, advantages, loss, figures). Figures are medians over rounds after ``--warmup``;
step = sum of the part medians. ``--clock cpu`` counts the process's CPU seconds instead
of wall seconds (with ``--threads 1`` on a shared machine: time waiting for a core left out).
Target (issue 30): step(current) / step(per_row) <= 0.5.
The machine is shared: only ratios from one run mean anything.
Writes ``bench/results/grpo_step.json``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

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
from bench.step_timing import print_breakdown

PARTS = ("generate", "reference", "policy_forward", "backward", "optimizer", "other")
TARGET = 0.5
BASELINE = "per_row"
# wall: seconds of the wall clock; cpu: this process's CPU seconds (with --threads 1 on a
# machine shared with other jobs, time spent waiting for a core is not counted).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_now = CLOCKS["wall"]


# ---- the log-prob paths before this bench's changes (kept here to time them) -----------------
def per_row_logprobs(model, rollout) -> torch.Tensor:
    """(B, T): one forward over prompt + response per row, full fp32 log_softmax."""
    ids, am = rollout.input_ids, rollout.attention_mask
    T = rollout.response_ids.shape[1]
    logits = model(
        input_ids=ids,
        attention_mask=am,
        position_ids=(am.cumsum(dim=1) - 1).clamp(min=0),
        logits_to_keep=T + 1,
    ).logits[:, :-1, :]
    logp = F.log_softmax(logits.float(), dim=-1)
    return logp.gather(2, rollout.response_ids.unsqueeze(-1)).squeeze(-1)


def shared_v0_logprobs(model, rollout) -> torch.Tensor:
    """(B, T): each prompt once, its KV cache shared by its rows, every response position's
    logits, full fp32 log_softmax (the first shared-prompt implementation)."""
    from common.generation.prefill import cache_of, prefill_prompts

    rows = torch.cat([rollout.prompt_ids, rollout.prompt_mask], dim=1)
    unique, index = torch.unique(rows, dim=0, return_inverse=True)
    P = rollout.prompt_ids.shape[1]
    prompt_mask = unique[:, P:]
    response_ids, response_mask = rollout.response_ids, rollout.response_mask
    out = prefill_prompts(model, unique[:, :P], prompt_mask)
    first = out.logits[index, -1:, :].float()
    cache = cache_of(out)
    cache.batch_select_indices(index)
    mask = torch.cat([prompt_mask[index], response_mask[:, :-1]], dim=1)
    T = response_ids.shape[1]
    rest = model(
        input_ids=response_ids[:, :-1],
        attention_mask=mask,
        position_ids=(mask.cumsum(dim=1) - 1).clamp(min=0)[:, -(T - 1) :],
        cache=cache,
        use_cache=True,
    ).logits.float()
    logits = torch.cat([first, rest], dim=1)
    return torch.gather(F.log_softmax(logits, dim=-1), 2, response_ids.unsqueeze(-1)).squeeze(-1)


def one_group_logprobs(model, rollout) -> torch.Tensor:
    """``current`` with the response length groups off."""
    import common.generation.logprobs as logprobs

    saved = dict(logprobs._BUCKET_OVERHEAD_TOKENS)
    logprobs._BUCKET_OVERHEAD_TOKENS.clear()  # no device listed: one group
    try:
        return logprobs.rollout_logprobs(model, rollout)
    finally:
        logprobs._BUCKET_OVERHEAD_TOKENS.update(saved)


def sdpa_logprobs(model, rollout) -> torch.Tensor:
    """``current`` with the model's own attention (sdpa) in the differentiated forward."""
    import common.generation.logprobs as logprobs

    saved = dict(logprobs._TRAINING_ATTENTION)
    logprobs._TRAINING_ATTENTION.clear()
    try:
        return logprobs.rollout_logprobs(model, rollout)
    finally:
        logprobs._TRAINING_ATTENTION.update(saved)


def variants() -> dict[str, Callable[..., torch.Tensor]]:
    from common.generation.logprobs import rollout_logprobs

    return {
        "per_row": per_row_logprobs,
        "shared_v0": shared_v0_logprobs,
        "current": rollout_logprobs,
        "one_group": one_group_logprobs,
        "current_sdpa": sdpa_logprobs,
    }


# ---- timing ------------------------------------------------------------------------------------
def build_loop(model: str, steps: int, tmp: str, overrides: Sequence[str]) -> Any:
    from experiments.compose import compose_config
    from experiments.trainers import TRAINERS

    cfg = compose_config(
        "+exp=ifeval_drbo",
        "trainer=grpo",
        f"model.name_or_path={model}",
        f"trainer.steps={steps}",
        *QUIET_RUN,
        *overrides,
        output_dir=tmp,
    )
    loop = TRAINERS.get(cfg.trainer.name)(cfg, tmp)
    # The K-sample reward statistics are set-up, not part of a step.
    loop.standardizer.fit({m: [0.0, 1.0] for m in loop.reward_set.names})
    return loop


def timed_step(loop: Any, step: int, batch: list, decision: Any, rollout: Any, fn) -> dict:
    """One ``train_step`` on ``rollout`` with log-probs from ``fn``; seconds per part (no
    ``generate``: the caller adds the round's generation)."""
    import drbo.trainer as grpo_trainer

    calls = {"reference": 0.0, "policy_forward": 0.0, "backward": 0.0, "optimizer": 0.0}

    def logprobs(model, r):
        t0 = _now()
        try:
            return fn(model, r)
        finally:
            part = "policy_forward" if torch.is_grad_enabled() else "reference"
            calls[part] += _now() - t0

    def timed(name: str, inner: Callable) -> Callable:
        def call(*args: Any, **kwargs: Any) -> Any:
            t0 = _now()
            try:
                return inner(*args, **kwargs)
            finally:
                calls[name] += _now() - t0

        return call

    original = grpo_trainer.rollout_logprobs
    grpo_trainer.rollout_logprobs = logprobs
    loop.rollout_batch = lambda *a, **k: rollout
    loop.engine.backward = timed("backward", loop.engine.backward)
    loop.engine.step = timed("optimizer", loop.engine.step)
    loop._decision = decision
    try:
        t0 = _now()
        loop.train_step(step, batch)
        wall = _now() - t0
    finally:
        grpo_trainer.rollout_logprobs = original
        del loop.rollout_batch, loop.engine.backward, loop.engine.step
    calls["other"] = max(wall - sum(calls.values()), 0.0)
    return calls


def run(
    rounds: int = 3,
    warmup: int = 1,
    model: str = "default",
    names: Sequence[str] = ("per_row", "shared_v0", "current"),
    overrides: Sequence[str] = (),
    clock: str = "wall",
) -> dict[str, Any]:
    global _now
    _now = CLOCKS[clock]
    fns = variants()
    unknown = [n for n in names if n not in fns]
    if unknown:
        raise SystemExit(f"--variants: unknown {unknown}; choose from {sorted(fns)}")
    per_variant: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    shapes = []
    with tempfile.TemporaryDirectory() as tmp:
        loop = build_loop(model, warmup + rounds, tmp, overrides)
        n = int(loop.cfg.trainer.n_samples)
        for step in range(1, warmup + rounds + 1):
            batch = loop.next_batch(step)
            decision = loop._decision
            t0 = _now()
            rollout = loop.rollout_batch(batch, do_sample=True, n=n)
            generate_s = _now() - t0
            shapes.append(
                {
                    "rows": int(rollout.response_ids.shape[0]),
                    "prompt_len": int(rollout.prompt_ids.shape[1]),
                    "response_len": int(rollout.response_ids.shape[1]),
                    "response_tokens": int(rollout.response_mask.sum()),
                }
            )
            order = list(names[step % len(names) :]) + list(names[: step % len(names)])
            for name in order:
                parts = timed_step(loop, step, batch, decision, rollout, fns[name])
                parts["generate"] = generate_s
                if step > warmup:
                    per_variant[name].append(parts)
                print(
                    f"  round {step}/{warmup + rounds} {name}: "
                    + ", ".join(f"{p} {parts[p]:.2f}" for p in PARTS),
                    file=sys.stderr,
                    flush=True,
                )
        precision = str(loop.engine.module.dtype).replace("torch.", "")
        loop.tracker.finish()
    res: dict[str, Any] = {
        "bench": "grpo_step",
        "machine": machine(),
        "load_average": load_average(),
        "model": model,
        "exp": "ifeval_drbo trainer=grpo",
        "compute_dtype": precision,
        "clock": clock,
        "rounds": rounds,
        "warmup_rounds": warmup,
        "rollouts": shapes[warmup:],
        "variants": {},
    }
    for name, steps in per_variant.items():
        med = {p: median([s[p] for s in steps]) for p in PARTS}
        step_s = sum(med.values()) or 1e-12
        res["variants"][name] = {
            "step_s": round(step_s, 4),
            "parts_s": {p: round(v, 4) for p, v in med.items()},
            "shares": {p: round(v / step_s, 4) for p, v in med.items()},
        }
    if BASELINE in res["variants"]:
        base = res["variants"][BASELINE]

        def model_s(v: dict[str, Any]) -> float:  # reference + policy forward + backward
            return sum(v["parts_s"][p] for p in ("reference", "policy_forward", "backward"))

        for v in res["variants"].values():
            v["step_ratio_to_per_row"] = round(v["step_s"] / base["step_s"], 4)
            v["model_ratio_to_per_row"] = round(model_s(v) / max(model_s(base), 1e-12), 4)
    res["verdicts"] = []
    if "current" in res["variants"] and BASELINE in res["variants"]:
        ratio = res["variants"]["current"]["step_ratio_to_per_row"]
        res["verdicts"].append(
            verdict_row(
                "grpo_step: current / per-row step",
                ratio,
                f"<= {TARGET}",
                ratio <= TARGET,
                f"GRPO step (testbed shape) current / per-row = {ratio:.3f} (target <= {TARGET})",
            )
        )
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="measured rounds")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up rounds left out")
    ap.add_argument("--model", default="default", help="embedded name, hub id, path, tiny-gpt2")
    ap.add_argument(
        "--variants",
        default="per_row,shared_v0,current",
        help="comma-separated, from per_row, shared_v0, current, one_group, current_sdpa",
    )
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    add_threads_option(ap)
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides")
    args = ap.parse_args(argv)
    apply_threads(args.threads)
    res = run(
        args.rounds, args.warmup, args.model, args.variants.split(","), args.overrides, args.clock
    )
    for name, v in res["variants"].items():
        ratio = v.get("step_ratio_to_per_row")
        print_breakdown(
            f"GRPO step, {name} ({res['compute_dtype']}, {res['clock']} seconds, median of "
            f"{res['rounds']} rounds)" + (f": {ratio:.3f} x per_row" if ratio is not None else ""),
            v,
            PARTS,
        )
    for v in res["verdicts"]:
        print(v["line"])
    write_result("grpo_step.json", res, args.results_dir)
    return res


if __name__ == "__main__":
    main()
