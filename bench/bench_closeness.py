"""Closeness to the limit: a ReMax step against the sum of its bare parts, and the rollout
helper's throughput against a bare ``model.generate``.

    python -m bench.bench_closeness [--steps 2] [--warmup 1] [--model default]
        [--batch-size 4] [--max-new-tokens 32] [--gen-reps 3]

(a) Each ReMax step (``next_batch`` + ``train_step`` + ``tracker.log`` of
    ``+exp=shopping_mmlu``, as ``fit`` runs them) is timed; right after it, on the same
    batch and the step's own sampled responses, its bare parts are timed separately with
    plain torch / transformers calls on the same modules:
      generation   ``model.generate`` sampled + greedy (the trainer's settings,
                   pre-tokenized prompts);
      reference    a no-grad forward of the reference model + response log-probs (the LM
                   head on the T + 1 positions that predict response tokens only);
      policy       the same forward with grad + masked mean loss + ``loss.backward()``;
      optimizer    ``clip_grad_norm_`` (the engine's grad_clip) + a torch AdamW step
                   (same betas, lr 0 so the weights stay as the run left them) + zero_grad.
    Target: step / sum(bare parts) <= 1.15 (median over the measured steps). The ratio of
    each framework part to its bare counterpart shows where any excess sits. Reward scoring
    and balancing have no bare counterpart: they count as overhead here.
(b) Rollout throughput: ``common.generation.rollout.generate`` (tokenize, generate, mask,
    decode) vs a bare ``model.generate`` on the same pre-tokenized batch and settings,
    alternating, median of ``--gen-reps`` each, sampled and greedy. Target: ratio of
    tokens/s >= 0.9.
(d) ``--grpo-n N`` (default 4; 0 skips): a GRPO step (``trainer=grpo``, N samples per
    prompt) against its bare parts the same way: ``model.generate`` with
    ``num_return_sequences=N``, the reference forward and the policy forward/backward on the
    B = G * N rows (one plain forward per row), the optimizer step. Same 1.15 target.
(c) Also reported, no verdict: the bare policy forward/backward with the LM head on the
    response positions only (``logits_to_keep``, as
    ``common.generation.logprobs.sequence_logprobs`` does) against the LM head on every position, i.e. what that choice saves.

Every response is forced to the full ``--max-new-tokens`` (``min_new_tokens`` in the
model's generation config, for both sides) so both sides generate the same number of
tokens; the trainer's per-task budgets are replaced by that one budget.
Writes ``bench/results/closeness.json``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from bench.harness import (
    QUIET_RUN,
    RESULTS,
    add_threads_option,
    apply_threads,
    machine,
    median,
    timed,
    verdict_row,
    write_result,
)

TARGET_STEP_RATIO = 1.15
TARGET_ROLLOUT_RATIO = 0.9


def bare_logprobs(
    model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, T: int, keep: bool = True
) -> torch.Tensor:
    """(B, T) log-probs of the last T tokens: a plain forward with the LM head on the T + 1
    positions that predict response tokens (``keep``, the least the maths needs), or on every
    position (``keep=False``, for part (c))."""
    position_ids = (attention_mask.cumsum(dim=1) - 1).clamp(min=0)
    kw = {"logits_to_keep": T + 1} if keep else {}
    logits = model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, **kw
    ).logits
    logits = logits[:, -T - 1 : -1, :].float()
    return torch.gather(F.log_softmax(logits, -1), 2, input_ids[:, -T:].unsqueeze(-1)).squeeze(-1)


class BareParts:
    """The bare counterparts of one ReMax step's compute on a loop's own modules."""

    def __init__(self, loop: Any) -> None:
        tr = loop.cfg.trainer
        self.loop = loop
        self.model = loop.policy
        self.tok = loop.tokenizer
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.clip = loop.cfg.engine.get("grad_clip")
        # lr 0: every moment update and the parameter write run, the weights do not move.
        self.optimizer = torch.optim.AdamW(
            self.params, lr=0.0, betas=tuple(tr.betas), weight_decay=float(tr.weight_decay)
        )
        self.sample_kw = dict(do_sample=True, temperature=tr.temperature, top_p=tr.top_p, top_k=0)
        self.greedy_kw = dict(do_sample=False, temperature=None, top_p=None, top_k=None)

    def encode(self, batch: list[Any]) -> dict[str, torch.Tensor]:
        from common.data.formatting import format_prompt

        max_len = self.loop.cfg.dataset.get("max_prompt_tokens")
        return self.tok(
            [format_prompt(self.tok, ex.prompt) for ex in batch],
            return_tensors="pt",
            padding=True,
            truncation=max_len is not None,
            max_length=max_len,
            add_special_tokens=False,
        )

    @torch.no_grad()
    def generate(self, enc: dict[str, torch.Tensor], n_tokens: int, sample: bool) -> Any:
        was_training = self.model.training
        self.model.eval()
        out = self.model.generate(
            **enc,
            max_new_tokens=n_tokens,
            pad_token_id=self.tok.pad_token_id,
            use_cache=True,
            **(self.sample_kw if sample else self.greedy_kw),
        )
        self.model.train(was_training)
        return out

    def reference_forward(self, ids: torch.Tensor, am: torch.Tensor, T: int) -> None:
        with torch.no_grad(), self.loop.reference.model(self.model) as ref:
            bare_logprobs(ref, ids, am, T)

    def policy_fwd_bwd(
        self, ids: torch.Tensor, am: torch.Tensor, mask: torch.Tensor, keep: bool = True
    ) -> None:
        self.model.train()
        logp = bare_logprobs(self.model, ids, am, mask.shape[1], keep=keep)
        m = mask.to(logp.dtype)
        (-(logp * m).sum() / m.sum().clamp(min=1.0)).backward()

    def optimizer_step(self) -> None:
        if self.clip:
            torch.nn.utils.clip_grad_norm_(self.params, float(self.clip))
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


def build_loop(
    model: str,
    batch_size: int,
    max_new_tokens: int,
    steps: int,
    tmp: str,
    overrides: Sequence[str] = (),
) -> Any:
    """A ReMax loop on ``+exp=shopping_mmlu`` with one generation budget for every task,
    full-length responses and reward statistics fitted to (0, 1) (the K-sample fit is set-up,
    not what is timed here)."""
    from experiments.compose import compose_config
    from experiments.trainers import TRAINERS

    cfg = compose_config(
        "+exp=shopping_mmlu",
        f"model.name_or_path={model}",
        f"trainer.steps={steps}",
        f"trainer.batch_size={batch_size}",
        *QUIET_RUN,
        *overrides,
        output_dir=tmp,
    )
    for key in list(cfg.dataset.max_new_tokens):
        cfg.dataset.max_new_tokens[key] = max_new_tokens
    loop = TRAINERS.get(cfg.trainer.name)(cfg, tmp)
    loop.policy.generation_config.min_new_tokens = max_new_tokens
    loop.standardizer.fit({m: [0.0, 1.0] for m in loop.reward_set.names})
    return loop


def step_vs_bare(loop: Any, bare: BareParts, step: int, n_tokens: int, full: bool) -> dict:
    """One framework step, then its bare parts on the same batch; seconds of each."""
    captured: list[Any] = []
    pair = loop.rollout_sampled_and_greedy

    def capture(*args: Any, **kwargs: Any) -> Any:
        out = pair(*args, **kwargs)
        captured.append(out)
        return out

    loop.rollout_sampled_and_greedy = capture
    t0 = time.perf_counter()
    batch = loop.next_batch(step)
    figures = loop.train_step(step, batch)
    loop.tracker.log(step, figures)
    step_s = time.perf_counter() - t0
    del loop.rollout_sampled_and_greedy  # back to the class's method

    sampled = captured[0][0]
    enc = bare.encode(batch)
    ids, am, mask = sampled.input_ids, sampled.attention_mask, sampled.response_mask
    T = mask.shape[1]
    b: dict[str, float] = {}
    b["generate_sample"], _ = timed(lambda: bare.generate(enc, n_tokens, True))
    b["generate_greedy"], _ = timed(lambda: bare.generate(enc, n_tokens, False))
    b["reference_forward"], _ = timed(lambda: bare.reference_forward(ids, am, T))
    b["policy_fwd_bwd"], _ = timed(lambda: bare.policy_fwd_bwd(ids, am, mask))
    b["optimizer"], _ = timed(bare.optimizer_step)
    out = {
        "step_s": step_s,
        "bare_s": b,
        "bare_sum_s": sum(b.values()),
        "logged_s": {k[5:-2]: v for k, v in figures.items() if k.startswith("time/")},
        "prompt_tokens": int(sampled.prompt_ids.shape[1]),
        "response_tokens": T,
    }
    if full:
        out["policy_fwd_bwd_full_s"], _ = timed(
            lambda: bare.policy_fwd_bwd(ids, am, mask, keep=False)
        )
        bare.zero_grad()
    return out


def grpo_step_vs_bare(loop: Any, bare: BareParts, step: int, n_tokens: int, n: int) -> dict:
    """One GRPO step (n samples per prompt), then its bare parts on the same batch."""
    captured: list[Any] = []
    rollout_batch = loop.rollout_batch

    def capture(*args: Any, **kwargs: Any) -> Any:
        out = rollout_batch(*args, **kwargs)
        captured.append(out)
        return out

    loop.rollout_batch = capture
    t0 = time.perf_counter()
    batch = loop.next_batch(step)
    figures = loop.train_step(step, batch)
    loop.tracker.log(step, figures)
    step_s = time.perf_counter() - t0
    del loop.rollout_batch

    sampled = captured[0]
    enc = bare.encode(batch)
    ids, am, mask = sampled.input_ids, sampled.attention_mask, sampled.response_mask
    T = mask.shape[1]
    b: dict[str, float] = {}
    b["generate_n"], _ = timed(
        lambda: bare.model.generate(
            **enc,
            max_new_tokens=n_tokens,
            pad_token_id=bare.tok.pad_token_id,
            use_cache=True,
            num_return_sequences=n,
            **bare.sample_kw,
        )
    )
    b["reference_forward"], _ = timed(lambda: bare.reference_forward(ids, am, T))
    b["policy_fwd_bwd"], _ = timed(lambda: bare.policy_fwd_bwd(ids, am, mask))
    b["optimizer"], _ = timed(bare.optimizer_step)
    return {
        "step_s": step_s,
        "bare_s": b,
        "bare_sum_s": sum(b.values()),
        "logged_s": {k[5:-2]: v for k, v in figures.items() if k.startswith("time/")},
        "rows": int(ids.shape[0]),
    }


def run_grpo(
    steps: int = 2,
    warmup: int = 1,
    model: str = "default",
    batch_size: int = 4,
    max_new_tokens: int = 32,
    n: int = 4,
) -> dict[str, Any]:
    """Part (d): GRPO step / sum of its bare parts (median over the measured steps)."""
    with tempfile.TemporaryDirectory() as tmp:
        loop = build_loop(
            model,
            batch_size,
            max_new_tokens,
            warmup + steps,
            tmp,
            ("trainer=grpo", f"trainer.n_samples={n}"),
        )
        bare = BareParts(loop)
        rows = []
        for s in range(1, warmup + steps + 1):
            rows.append(grpo_step_vs_bare(loop, bare, s, max_new_tokens, n))
            r = rows[-1]
            print(
                f"  grpo step {s}/{warmup + steps}: {r['step_s']:.2f} s, bare parts "
                f"{r['bare_sum_s']:.2f} s (ratio {r['step_s'] / r['bare_sum_s']:.3f})",
                file=sys.stderr,
                flush=True,
            )
        loop.tracker.finish()
    steady = rows[warmup:] if len(rows) > warmup else rows
    ratio = round(median([r["step_s"] / r["bare_sum_s"] for r in steady]), 4)
    return {
        "n_samples": n,
        "rows": steady[0]["rows"],
        "step_s": round(median([r["step_s"] for r in steady]), 4),
        "bare_sum_s": round(median([r["bare_sum_s"] for r in steady]), 4),
        "bare_parts_s": {
            k: round(median([r["bare_s"][k] for r in steady]), 4) for k in steady[0]["bare_s"]
        },
        "logged_parts_s": {
            k: round(median([r["logged_s"][k] for r in steady]), 4) for k in steady[0]["logged_s"]
        },
        "step_ratio": ratio,
        "verdict": verdict_row(
            f"closeness: GRPO step (n={n}) / sum of bare parts",
            ratio,
            f"<= {TARGET_STEP_RATIO}",
            ratio <= TARGET_STEP_RATIO,
            f"GRPO step (n={n}) / sum of bare parts = {ratio:.3f} (target <= {TARGET_STEP_RATIO})",
        ),
    }


def rollout_throughput(loop: Any, bare: BareParts, batch: list, n_tokens: int, reps: int) -> dict:
    """tokens/s of common.generation.rollout.generate vs bare model.generate, sampled and greedy."""
    from common.data.formatting import format_prompt
    from common.generation.rollout import generate

    tr = loop.cfg.trainer
    prompts = [format_prompt(loop.tokenizer, ex.prompt) for ex in batch]
    enc = bare.encode(batch)
    tokens = len(batch) * n_tokens
    res: dict[str, Any] = {"tokens_per_call": tokens}
    for mode, sample in (("sample", True), ("greedy", False)):
        ours, plain = [], []
        for _ in range(reps):
            t, r = timed(
                lambda s=sample: generate(
                    loop.policy,
                    loop.tokenizer,
                    prompts,
                    max_new_tokens=n_tokens,
                    do_sample=s,
                    temperature=tr.temperature,
                    top_p=tr.top_p,
                    max_prompt_tokens=loop.cfg.dataset.get("max_prompt_tokens"),
                )
            )
            assert r.response_ids.shape[1] == n_tokens
            ours.append(t)
            plain.append(timed(lambda s=sample: bare.generate(enc, n_tokens, s))[0])
        res[mode] = {
            "rollout_s": round(median(ours), 4),
            "bare_s": round(median(plain), 4),
            "rollout_tokens_per_s": round(tokens / median(ours), 2),
            "bare_tokens_per_s": round(tokens / median(plain), 2),
            "ratio": round(median(plain) / median(ours), 4),
        }
    total_ours = res["sample"]["rollout_s"] + res["greedy"]["rollout_s"]
    total_plain = res["sample"]["bare_s"] + res["greedy"]["bare_s"]
    res["ratio"] = round(total_plain / total_ours, 4)
    return res


def run(
    steps: int = 2,
    warmup: int = 1,
    model: str = "default",
    batch_size: int = 4,
    max_new_tokens: int = 32,
    gen_reps: int = 3,
    full_logits: bool = True,
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        loop = build_loop(model, batch_size, max_new_tokens, warmup + steps, tmp, overrides)
        bare = BareParts(loop)
        rows = []
        for s in range(1, warmup + steps + 1):
            rows.append(step_vs_bare(loop, bare, s, max_new_tokens, full_logits))
            r = rows[-1]
            print(
                f"  step {s}/{warmup + steps}: {r['step_s']:.2f} s, bare parts "
                f"{r['bare_sum_s']:.2f} s (ratio {r['step_s'] / r['bare_sum_s']:.3f})",
                file=sys.stderr,
                flush=True,
            )
        gen = rollout_throughput(loop, bare, loop.batch_for(1), max_new_tokens, gen_reps)
        loop.tracker.finish()
    steady = rows[warmup:] if len(rows) > warmup else rows
    ratios = [r["step_s"] / r["bare_sum_s"] for r in steady]
    bare_med = {k: round(median([r["bare_s"][k] for r in steady]), 4) for k in steady[0]["bare_s"]}
    logged_med = {
        k: round(median([r["logged_s"][k] for r in steady]), 4) for k in steady[0]["logged_s"]
    }
    # Where the excess sits: each framework part over its bare counterpart.
    part_ratios = {
        "generate": [
            r["logged_s"]["generate"]
            / (r["bare_s"]["generate_sample"] + r["bare_s"]["generate_greedy"])
            for r in steady
        ],
        "fwd_bwd": [
            r["logged_s"]["fwd_bwd"]
            / (r["bare_s"]["reference_forward"] + r["bare_s"]["policy_fwd_bwd"])
            for r in steady
        ],
        "optimizer": [r["logged_s"]["optimizer"] / r["bare_s"]["optimizer"] for r in steady],
    }
    res: dict[str, Any] = {
        "bench": "closeness",
        "machine": machine(),
        "model": model,
        "batch_size": batch_size,
        "max_new_tokens": max_new_tokens,
        "warmup_steps": warmup,
        "steps_measured": len(steady),
        "prompt_tokens": [r["prompt_tokens"] for r in steady],
        "step_s": round(median([r["step_s"] for r in steady]), 4),
        "bare_sum_s": round(median([r["bare_sum_s"] for r in steady]), 4),
        "bare_parts_s": bare_med,
        "logged_parts_s": logged_med,
        "step_ratios": [round(x, 4) for x in ratios],
        "step_ratio": round(median(ratios), 4),
        "part_ratios": {k: round(median(v), 4) for k, v in part_ratios.items()},
        "rollout": gen,
    }
    if full_logits:
        keep = [r["bare_s"]["policy_fwd_bwd"] / r["policy_fwd_bwd_full_s"] for r in steady]
        res["logits_to_keep"] = {
            "policy_fwd_bwd_keep_s": bare_med["policy_fwd_bwd"],
            "policy_fwd_bwd_full_s": round(median([r["policy_fwd_bwd_full_s"] for r in steady]), 4),
            "ratio": round(median(keep), 4),
        }
    sr, gr = res["step_ratio"], gen["ratio"]
    res["verdicts"] = [
        verdict_row(
            "closeness: ReMax step / sum of bare parts",
            sr,
            f"<= {TARGET_STEP_RATIO}",
            sr <= TARGET_STEP_RATIO,
            f"ReMax step / sum of bare parts = {sr:.3f} (target <= {TARGET_STEP_RATIO})",
        ),
        verdict_row(
            "closeness: rollout tokens/s vs bare generate",
            gr,
            f">= {TARGET_ROLLOUT_RATIO}",
            gr >= TARGET_ROLLOUT_RATIO,
            f"rollout tokens/s / bare model.generate tokens/s = {gr:.3f} "
            f"(target >= {TARGET_ROLLOUT_RATIO})",
        ),
    ]
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2, help="measured steps")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up steps left out")
    ap.add_argument("--model", default="default", help="embedded name, hub id, path, tiny-gpt2")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--gen-reps", type=int, default=3, help="repeats of each rollout timing")
    ap.add_argument("--no-full-logits", action="store_true", help="skip part (c)")
    ap.add_argument("--grpo-n", type=int, default=4, help="part (d) samples per prompt; 0 skips")
    ap.add_argument("--skip-remax", action="store_true", help="only part (d)")
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    add_threads_option(ap)
    args = ap.parse_args(argv)
    apply_threads(args.threads)
    if args.skip_remax:
        res = {"bench": "closeness", "machine": machine(), "model": args.model, "verdicts": []}
        _grpo_part(res, args)
        write_result("closeness_grpo.json", res, args.results_dir)
        return res
    res = run(
        args.steps,
        args.warmup,
        args.model,
        args.batch_size,
        args.max_new_tokens,
        args.gen_reps,
        not args.no_full_logits,
    )
    print(
        f"(a) ReMax step vs its bare parts on {res['model']} (batch {res['batch_size']}, "
        f"{res['max_new_tokens']} new tokens, prompts padded to {res['prompt_tokens']} tokens; "
        f"median of {res['steps_measured']} steps after {res['warmup_steps']} warm-up)"
    )
    for k, v in res["bare_parts_s"].items():
        print(f"    bare {k:<20}{v:>9.3f} s")
    print(f"    bare sum {'':<16}{res['bare_sum_s']:>9.3f} s")
    print(
        f"    framework step {'':<10}{res['step_s']:>9.3f} s   logged parts: "
        + "  ".join(f"{k} {v:.3f}" for k, v in res["logged_parts_s"].items())
    )
    print(
        "    framework / bare per part: "
        + "  ".join(f"{k} {v:.3f}" for k, v in res["part_ratios"].items())
    )
    print(f"    per-step ratios: {res['step_ratios']}")
    print("    verdict: " + res["verdicts"][0]["line"])
    g = res["rollout"]
    print(f"(b) rollout throughput ({g['tokens_per_call']} tokens per call)")
    for mode in ("sample", "greedy"):
        m = g[mode]
        print(
            f"    {mode:<7} common.generation.rollout.generate "
            f"{m['rollout_tokens_per_s']:>9.1f} tok/s   "
            f"bare model.generate {m['bare_tokens_per_s']:>9.1f} tok/s   ratio {m['ratio']:.3f}"
        )
    print("    verdict: " + res["verdicts"][1]["line"])
    if "logits_to_keep" in res:
        k = res["logits_to_keep"]
        print(
            f"(c) policy fwd+bwd with logits only for response positions: "
            f"{k['policy_fwd_bwd_keep_s']:.3f} s vs {k['policy_fwd_bwd_full_s']:.3f} s with all "
            f"positions' logits (ratio {k['ratio']:.3f})"
        )
    _grpo_part(res, args)
    write_result("closeness.json", res, args.results_dir)
    return res


def _grpo_part(res: dict[str, Any], args: argparse.Namespace) -> None:
    if args.grpo_n <= 0:
        return
    g = run_grpo(
        args.steps, args.warmup, args.model, args.batch_size, args.max_new_tokens, args.grpo_n
    )
    res["grpo"] = g
    res["verdicts"].append(g["verdict"])
    print(
        f"(d) GRPO step, n={g['n_samples']} ({g['rows']} rows): framework {g['step_s']:.3f} s, "
        f"bare sum {g['bare_sum_s']:.3f} s; bare "
        + "  ".join(f"{k} {v:.3f}" for k, v in g["bare_parts_s"].items())
        + "; logged "
        + "  ".join(f"{k} {v:.3f}" for k, v in g["logged_parts_s"].items())
    )
    print("    verdict: " + g["verdict"]["line"])


if __name__ == "__main__":
    main()
