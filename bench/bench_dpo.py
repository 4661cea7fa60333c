"""LASeR step breakdown on the embedded policy: where a bandit + DPO (LoRA) step's time goes.

    python -m bench.bench_dpo [--steps 4] [--warmup 1] [--model default] [--max-new-tokens 48]
        [--rewards GROUP] [HYDRA_OVERRIDE ...]

Runs a few LASeR steps of ``+exp=gsm8k_laser`` (LinUCB over four reward models, DPO + NLL
with LoRA on SmolLM2-135M; no evaluation) and prints seconds and shares of a step for the
bandit's context forward, the bandit (decide + update), generation (G x n samples), reward
scoring (the picked RM only), forward (reference + policy log-probs and the loss),
backward, optimizer and logging, plus "other" (the step's wall time minus its parts).

The loop logs ``time/fwd_bwd_s`` and ``time/optimizer_s``: the bench splits
it by wrapping ``engine.backward`` and ``engine.step`` with timers, and times
``tracker.log`` the same way (nothing in the library is edited). Medians over the measured
steps after ``--warmup`` warm-up steps that made an update (a batch with no preference pair
skips it; counted apart); a step is the sum of the part medians.
Verdict: the bandit's share of a step (decide + update, context excluded) is < 1%.
Writes ``bench/results/dpo_step.json``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.harness import (
    QUIET_RUN,
    RESULTS,
    add_threads_option,
    apply_threads,
    machine,
    median,
    verdict_row,
    write_result,
)
from bench.step_timing import StepRecorder, print_breakdown, summarize

PARTS = (
    "context",
    "bandit",
    "generate",
    "reward",
    "forward",
    "backward",
    "optimizer",
    "logging",
    "other",
)
OUTSIDE_MODEL = ("bandit", "reward", "logging", "other")
TARGET_BANDIT = 0.01


def laser_parts(row: dict[str, Any]) -> dict[str, float]:
    """One recorded LASeR step -> seconds per part of :data:`PARTS`."""
    f = row["figures"]
    parts = {
        "context": f["time/context_s"],
        "bandit": f["time/mixer_s"],
        "generate": f["time/generate_s"],
        "reward": f["time/reward_s"],
        "forward": max(
            f["time/fwd_bwd_s"] + f["time/optimizer_s"] - row["backward"] - row["optimizer_call"],
            0.0,
        ),
        "backward": row["backward"],
        "optimizer": row["optimizer_call"],
        "logging": row["logging"],
    }
    parts["other"] = max(row["wall"] - sum(parts.values()), 0.0)
    return parts


def run(
    steps: int = 4,
    model: str = "default",
    warmup: int = 1,
    max_new_tokens: int = 48,
    exp: str = "gsm8k_laser",
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    from experiments.compose import compose_config
    from laser.trainer import LaserLoop

    with tempfile.TemporaryDirectory() as tmp:
        cfg = compose_config(
            f"+exp={exp}",
            f"model.name_or_path={model}",
            f"trainer.steps={warmup + steps}",
            "trainer.dev_stop.enabled=false",
            *QUIET_RUN,
            *overrides,
            output_dir=tmp,
        )
        # Every task type gets the same budget: a step's cost does not hinge on which
        # task the batch drew.
        for key in list(cfg.dataset.max_new_tokens):
            cfg.dataset.max_new_tokens[key] = max_new_tokens
        t0 = time.perf_counter()
        loop = LaserLoop(cfg, tmp)
        setup_s = time.perf_counter() - t0
        rec = StepRecorder(loop)
        loop.fit()
    steady = rec.rows[warmup:] if len(rec.rows) > warmup else rec.rows
    trained = [r for r in steady if r["figures"].get("loss") is not None]
    # A batch whose responses all tie has no preference pair and skips the update: the
    # breakdown is that of the steps that trained (all steps when none did).
    per_step = [laser_parts(r) for r in (trained or steady)]
    res: dict[str, Any] = {
        "bench": "dpo_step",
        "machine": machine(),
        "model": model,
        "exp": exp,
        "prompts_per_step": int(cfg.trainer.batch_size),
        "samples_per_prompt": int(cfg.trainer.n_samples),
        "max_new_tokens": max_new_tokens,
        "lora": bool(cfg.model.lora.enabled),
        "warmup_steps": warmup,
        "steps_measured": len(steady),
        "steps_with_update": len(trained),
        "arms_picked": [r["figures"].get("arm") for r in steady],
        "setup_s": round(setup_s, 2),
        **summarize(per_step, PARTS, OUTSIDE_MODEL),
        "wall_median_s": round(median([r["wall"] for r in steady]), 4),
        "tokens_per_s": round(median([r["figures"]["tokens_per_s"] for r in steady]), 2),
    }
    share = res["shares"]["bandit"]
    res["verdicts"] = [
        verdict_row(
            "dpo: bandit share of a LASeR step",
            share,
            f"< {TARGET_BANDIT}",
            share < TARGET_BANDIT,
            f"bandit (decide + update) is {100 * share:.2f}% of a LASeR step on {model} "
            f"(target < {100 * TARGET_BANDIT:.0f}%)",
        )
    ]
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4, help="measured steps")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up steps left out")
    ap.add_argument("--model", default="default", help="embedded name, hub id, path, tiny-gpt2")
    ap.add_argument("--max-new-tokens", type=int, default=48, help="budget of every sample")
    ap.add_argument("--exp", default="gsm8k_laser")
    ap.add_argument(
        "--rewards", default=None, help="override the rewards group (e.g. cheap_rms: no judge)"
    )
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    add_threads_option(ap)
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides, e.g. trainer.loss=dpo")
    args = ap.parse_args(argv)
    apply_threads(args.threads)
    overrides = [f"rewards={args.rewards}"] if args.rewards else []
    overrides += args.overrides
    res = run(args.steps, args.model, args.warmup, args.max_new_tokens, args.exp, overrides)
    print_breakdown(
        f"LASeR DPO step on {res['model']} (+exp={res['exp']}, {res['prompts_per_step']} prompts"
        f" x {res['samples_per_prompt']} samples, <= {res['max_new_tokens']} new tokens, "
        f"LoRA {'on' if res['lora'] else 'off'}; median of the "
        f"{res['steps_with_update'] or res['steps_measured']} steps with an update after "
        f"{res['warmup_steps']} warm-up)",
        res,
        PARTS,
    )
    print(
        f"arms picked: {res['arms_picked']}; steps with a preference update: "
        f"{res['steps_with_update']}/{res['steps_measured']}"
    )
    print(f"generation: {res['tokens_per_s']:.1f} tokens/s")
    print(res["verdicts"][0]["line"])
    write_result("dpo_step.json", res, args.results_dir)
    return res


if __name__ == "__main__":
    main()
