"""DRBO step breakdown on the embedded policy: where a ReMax step's time goes.

    python -m bench.bench_drbo [--steps 4] [--warmup 1] [--model default] [--batch-size 4]
        [--fit-standardizer] [HYDRA_OVERRIDE ...]

Runs a few ReMax steps of ``+exp=shopping_mmlu`` (no evaluation) and prints seconds and
shares of a step for generation, reward scoring, balancing, forward, backward, the
optimizer and logging (``tracker.log``, timed by wrapping it in the bench), plus "other"
(batch draw, mixer decision, progress bar, the per-step stop-request check: the step's wall
time, from one logged row to the next, minus its parts). Each figure is the median over the
measured steps after ``--warmup`` warm-up steps; a step is the sum of the part medians, so
the shares add up to 1. Also prints the share spent outside
model compute (reward + balance + logging + other; target < 10%) and the step rate.
Writes ``bench/results/drbo_step.json``.

The forward / backward split times ``engine.backward`` by wrapping the engine's method in
the bench (the library logs them together as ``time/fwd_bwd_s``).
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

PARTS = ("generate", "reward", "balance", "forward", "backward", "optimizer", "logging", "other")
OUTSIDE_MODEL = ("reward", "balance", "logging", "other")
TARGET_OUTSIDE = 0.10


def remax_parts(row: dict[str, Any]) -> dict[str, float]:
    """One recorded ReMax step -> seconds per part of :data:`PARTS` (``other`` = wall minus
    the rest, floored at 0)."""
    f = row["figures"]
    parts = {
        "generate": f["time/generate_s"],
        "reward": f["time/reward_s"],
        "balance": f["time/mixer_s"],
        "forward": max(f["time/fwd_bwd_s"] - row["backward"], 0.0),
        "backward": row["backward"],
        "optimizer": f["time/optimizer_s"],
        "logging": row["logging"],
    }
    parts["other"] = max(row["wall"] - sum(parts.values()), 0.0)
    return parts


def run(
    steps: int = 4,
    model: str = "default",
    batch_size: int = 4,
    warmup: int = 1,
    exp: str = "shopping_mmlu",
    overrides: Sequence[str] = (),
    fit_standardizer: bool = False,
) -> dict[str, Any]:
    from drbo.trainer import PolicyGradientLoop
    from experiments.compose import compose_config

    with tempfile.TemporaryDirectory() as tmp:
        cfg = compose_config(
            f"+exp={exp}",
            f"model.name_or_path={model}",
            f"trainer.steps={warmup + steps}",
            f"trainer.batch_size={batch_size}",
            "trainer.standardize_k=16",  # with --fit-standardizer
            *QUIET_RUN,
            *overrides,
            output_dir=tmp,
        )
        t0 = time.perf_counter()
        loop = PolicyGradientLoop(cfg, tmp)
        if not fit_standardizer:
            # The K-sample reward statistics are set-up (minutes for SmolLM2 on 2 cores), not
            # part of a step: unit statistics leave every timed path as it is.
            loop.standardizer.fit({m: [0.0, 1.0] for m in loop.reward_set.names})
        setup_s = time.perf_counter() - t0
        rec = StepRecorder(loop)
        loop.fit()
    # The warm-up steps pay one-off costs (first DeepSpeed step, optimizer state, kernels).
    steady = rec.rows[warmup:] if len(rec.rows) > warmup else rec.rows
    per_step = [remax_parts(r) for r in steady]
    res: dict[str, Any] = {
        "bench": "drbo_step",
        "machine": machine(),
        "model": model,
        "exp": exp,
        "batch_size": batch_size,
        "warmup_steps": warmup,
        "steps_measured": len(steady),
        "setup_s": round(setup_s, 2),
        **summarize(per_step, PARTS, OUTSIDE_MODEL),
        "wall_median_s": round(median([r["wall"] for r in steady]), 4),
        "tokens_per_s": round(median([r["figures"]["tokens_per_s"] for r in steady]), 2),
    }
    res["fwd_bwd_s"] = round(res["parts_s"]["forward"] + res["parts_s"]["backward"], 4)
    res["verdicts"] = [outside_model_verdict(res)]
    return res


def outside_model_verdict(res: dict[str, Any]) -> dict[str, Any]:
    share = res["outside_model_share"]
    return verdict_row(
        "drbo: time outside model compute",
        share,
        f"< {TARGET_OUTSIDE}",
        share < TARGET_OUTSIDE,
        f"time outside model compute: {100 * share:.2f}% of a step "
        f"(target < {100 * TARGET_OUTSIDE:.0f}%)",
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4, help="measured steps")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up steps left out")
    ap.add_argument("--model", default="default", help="embedded name, hub id, path, tiny-gpt2")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--exp", default="shopping_mmlu")
    ap.add_argument(
        "--fit-standardizer",
        action="store_true",
        help="fit the reward statistics on K samples first (slow set-up; off: unit statistics)",
    )
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    add_threads_option(ap)
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides, e.g. engine=zero2")
    args = ap.parse_args(argv)
    apply_threads(args.threads)
    res = run(
        args.steps,
        args.model,
        args.batch_size,
        args.warmup,
        args.exp,
        args.overrides,
        args.fit_standardizer,
    )
    print_breakdown(
        f"DRBO ReMax step on {res['model']} (+exp={res['exp']}, batch {res['batch_size']}, "
        f"median of {res['steps_measured']} steps after {res['warmup_steps']} warm-up)",
        res,
        PARTS,
    )
    print(f"generation: {res['tokens_per_s']:.1f} tokens/s")
    print(res["verdicts"][0]["line"])
    write_result("drbo_step.json", res, args.results_dir)
    return res


if __name__ == "__main__":
    main()
