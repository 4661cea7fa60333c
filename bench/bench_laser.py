"""LASeR's costs: the bandit's share of a step, and what scoring one RM saves over all K.

    python -m bench.bench_laser [--steps 6] [--reps 5] [--score-reps 3]

(a) Bandit overhead. LinUCB decide + update at SmolLM2's hidden size (d = 576, K = 4 arms)
    against a LASeR step on the tiny config (``+exp=laser_debug``: tiny GPT-2, cheap RMs,
    no evaluation). The bandit is timed right after each step (median of ``--reps`` rounds
    on fresh contexts) and the share is the median over steps 2.. of bandit / step, so
    both sides of each ratio see the same load on the shared cores (step 1 is warm-up).
    Target: bandit < 1% of a step. The context embedding (one policy forward over the
    batch's prompts) is policy compute, not bandit cost: reported apart, from the tiny run
    and on SmolLM2 itself.
(b) RM-scoring cost per batch. ``+exp=gsm8k_laser``'s K reward models score one batch of 8
    responses (G = 2 prompts x n = 4 samples, the experiment's batch) with ``only=[arm]``
    for each arm and with all arms (the offline ensemble), after a warm-up that loads the
    models; each time is the minimum over ``--score-reps`` repeats (other jobs' load only
    adds time), arms and ensemble alternating. The bandit's expected cost under uniform arm
    use is the mean of the per-arm times; target: that / ensemble <= 1.1 / K (routing one
    RM costs no more than its share). The per-arm ratios show what a bandit that settles
    on one arm pays.

Prints figures and one verdict line per target; writes ``bench/results/laser.json``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import (
    QUIET_RUN,
    machine,
    median,
    median_seconds,
    pass_word,
    seconds,
    write_result,
)

SMOLLM2_DIM = 576
TARGET_BANDIT_SHARE = 0.01
RATIO_SLACK = 1.1  # the bandit's expected scoring cost may exceed 1/K of the ensemble's by 10%


# ---- (a) bandit overhead -------------------------------------------------------------------------
def linucb_round(dim: int, arms: int, seed: int = 0) -> Callable[[], None]:
    """One LinUCB ``decide`` + ``update`` (d = dim, K = arms) per call, on a fresh random
    context and reward each time; one warm-up round already played."""
    from common.mixers.base import Feedback
    from common.mixers.linucb import LinUCB

    bandit = LinUCB([f"rm{k}" for k in range(arms)], dim=dim, seed=seed)
    rng = np.random.default_rng(seed)
    step = iter(range(1, 10**9))

    def one_round() -> None:
        t = next(step)
        c = rng.normal(size=dim)
        d = bandit.decide(t, c)
        bandit.update(Feedback(step=t, arm=d.arm, scalar=float(rng.random()), context=c))

    one_round()
    return one_round


def bandit_overhead(steps: int, reps: int) -> dict[str, Any]:
    """A LASeR run on the tiny config with LinUCB (d = 576, K = 4) timed right after each
    step (median of ``reps`` rounds), so each step and its bandit timing share the machine's
    load of the moment. Step 1 (warm-up) is left out.

    Returns medians over steps 2..steps: ``step`` seconds (sum of the logged time parts),
    ``parts`` seconds, ``linucb`` seconds per round, ``share`` (median of the per-step ratio
    linucb / step) and ``in_run_share`` (the run's own bandit, d = 64, over its step).
    """
    from common.rundir.tracking import read_metrics
    from experiments.compose import compose_config
    from laser.analysis import TIME_PARTS
    from laser.trainer import LaserLoop

    one_round = linucb_round(SMOLLM2_DIM, 4)
    linucb: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = compose_config(
            "+exp=laser_debug",
            f"trainer.steps={steps}",
            *QUIET_RUN,  # laser_debug has no logger already
            output_dir=tmp,
        )
        loop = LaserLoop(cfg, tmp)
        train_step = loop.train_step

        def step_then_bandit(step: int, batch: list) -> dict[str, Any]:
            figures = train_step(step, batch)
            linucb.append(median_seconds(one_round, reps))
            return figures

        loop.train_step = step_then_bandit
        loop.fit()
        rows = read_metrics(Path(tmp) / "metrics.jsonl")[1:]
    linucb = linucb[1:]
    step_s = [sum(r[f"time/{p}_s"] for p in TIME_PARTS) for r in rows]
    # Medians, not means: the 2 shared cores see other jobs, and one slow step would swamp
    # a mean of a handful.
    return {
        "steps_measured": len(rows),
        "step": median(step_s),
        "parts": {p: median(r[f"time/{p}_s"] for r in rows) for p in TIME_PARTS},
        "linucb": median(linucb),
        "share": median(b / s for b, s in zip(linucb, step_s, strict=True)),
        "in_run_share": median(r["time/mixer_s"] / s for r, s in zip(rows, step_s, strict=True)),
    }


def smollm2_context_seconds(reps: int) -> float:
    """Median seconds of the bandit's context (mean last hidden state) on SmolLM2 for
    ``+exp=gsm8k_laser``'s batch of 2 prompts."""
    from common.data.formatting import format_prompt
    from common.data.run_data import load_run_data
    from common.mixers.context import prompt_context
    from common.models.assets import load_causal_lm
    from experiments.compose import compose_config

    cfg = compose_config("+exp=gsm8k_laser")
    train, _ = load_run_data(cfg.dataset, list(cfg.rewards.names), cfg.rewards.routing)
    model, tok = load_causal_lm(cfg.model.name_or_path)
    prompts = [format_prompt(tok, ex.prompt) for ex in train[: cfg.trainer.batch_size]]
    prompt_context(model, tok, prompts, cfg.trainer.context)  # warm-up
    return median_seconds(lambda: prompt_context(model, tok, prompts, cfg.trainer.context), reps)


# ---- (b) RM scoring: one arm vs the ensemble ---------------------------------------------------
def _responses(examples: list[Any], n: int) -> list[str]:
    """n GSM-style responses per example: the reference solution, then variants with the
    final answer changed or dropped, so the RMs see right and wrong answers."""
    out = []
    for ex in examples:
        sol = str(ex.meta.get("solution") or f"The answer is {ex.gold}.")
        body = sol.rsplit("####", 1)[0].strip()
        variants = [
            sol,
            f"{body}\nThe answer is {ex.gold}.",
            f"{body}\n#### {int(ex.gold) + 1 if str(ex.gold).isdigit() else 0}",
            body,
        ]
        out += [variants[i % len(variants)] for i in range(n)]
    return out


def rm_scoring_costs(reps: int) -> dict[str, Any]:
    """Seconds to score one ``gsm8k_laser`` batch with each arm alone and with all arms."""
    from common.data.run_data import load_run_data
    from common.rewards.reward_set import RewardSet
    from experiments.compose import compose_config

    cfg = compose_config("+exp=gsm8k_laser")
    rs = RewardSet(cfg.rewards.names, cfg.rewards.routing, cfg.rewards.get("options"))
    train, _ = load_run_data(cfg.dataset, rs.names, rs.routing)
    G, n = int(cfg.trainer.batch_size), int(cfg.trainer.n_samples)
    batch = train[:G]
    examples = [ex for ex in batch for _ in range(n)]
    texts = _responses(batch, n)
    t0 = time.perf_counter()
    rs.score(examples, texts)  # builds every scorer: the judge loads SmolLM2 once
    load_s = time.perf_counter() - t0
    # Minimum over repeats: load from other jobs on the shared cores only ever adds time,
    # so the fastest repeat is the closest to each scorer's own cost (timeit's advice).
    # Arms and ensemble alternate within each repeat so a slow spell hits both.
    per_arm: dict[str, list[float]] = {a: [] for a in rs.names}
    ensemble: list[float] = []
    for _ in range(reps):
        for arm in rs.names:
            per_arm[arm].append(seconds(lambda a=arm: rs.score(examples, texts, only=[a])))
        ensemble.append(seconds(lambda: rs.score(examples, texts)))
    arm_s = {a: min(v) for a, v in per_arm.items()}
    ens_s = min(ensemble)
    return {
        "responses": len(texts),
        "arms": rs.names,
        "first_call_s": round(load_s, 3),
        "per_arm_s": {a: round(v, 5) for a, v in arm_s.items()},
        "ensemble_s": round(ens_s, 5),
        "per_arm_ratio": {a: round(v / ens_s, 4) for a, v in arm_s.items()},
        "uniform_bandit_ratio": round(statistics.mean(arm_s.values()) / ens_s, 4),
        "one_over_k": round(1 / len(rs.names), 4),
    }


# ---- report --------------------------------------------------------------------------------------
def run(steps: int, reps: int, score_reps: int) -> dict[str, Any]:
    t_start = time.perf_counter()
    tiny = bandit_overhead(steps, reps)
    smol_ctx = smollm2_context_seconds(score_reps)
    scoring = rm_scoring_costs(score_reps)
    return {
        "machine": machine(),
        "bandit": {
            "linucb_dim": SMOLLM2_DIM,
            "linucb_arms": 4,
            "linucb_decide_update_s": round(tiny["linucb"], 5),
            "tiny_step_s": round(tiny["step"], 4),
            "tiny_steps_measured": tiny["steps_measured"],
            "tiny_parts_s": {p: round(v, 5) for p, v in tiny["parts"].items()},
            "linucb_share_of_tiny_step": round(tiny["share"], 4),
            "in_run_bandit_share": round(tiny["in_run_share"], 4),
            "context_forward_tiny_s": round(tiny["parts"]["context"], 5),
            "context_forward_smollm2_s": round(smol_ctx, 5),
        },
        "rm_scoring": scoring,
        "bench_s": round(time.perf_counter() - t_start, 1),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6, help="tiny LASeR steps (first is warm-up)")
    ap.add_argument("--reps", type=int, default=5, help="LinUCB rounds timed after each step")
    ap.add_argument("--score-reps", type=int, default=3, help="repeats of each scoring timing")
    args = ap.parse_args(argv)
    if args.steps < 2:
        ap.error("--steps must be >= 2 (step 1 is warm-up)")
    res = run(args.steps, args.reps, args.score_reps)

    b = res["bandit"]
    print(f"(a) bandit overhead  (medians; tiny step over {b['tiny_steps_measured']} steps)")
    print(
        f"    LinUCB decide+update, d={b['linucb_dim']}, K={b['linucb_arms']}: "
        f"{1e3 * b['linucb_decide_update_s']:.2f} ms"
    )
    print(
        f"    tiny LASeR step: {b['tiny_step_s']:.3f} s  "
        + "  ".join(f"{p} {v:.3f}" for p, v in b["tiny_parts_s"].items())
    )
    print(f"    in-run bandit (d=64) share of the tiny step: {100 * b['in_run_bandit_share']:.2f}%")
    print(
        f"    context forward (policy compute): tiny {1e3 * b['context_forward_tiny_s']:.1f} ms,"
        f" SmolLM2 {1e3 * b['context_forward_smollm2_s']:.1f} ms"
    )
    share = b["linucb_share_of_tiny_step"]
    verdict = pass_word(share < TARGET_BANDIT_SHARE)
    print(
        f"    verdict: LinUCB d=576 is {100 * share:.2f}% of a tiny LASeR step "
        f"(target < {100 * TARGET_BANDIT_SHARE:.0f}%): {verdict}"
    )

    s = res["rm_scoring"]
    print(
        f"(b) RM scoring of {s['responses']} responses  (min of repeats; first call "
        f"{s['first_call_s']:.1f} s loads the models)"
    )
    for arm in s["arms"]:
        print(
            f"    only={arm:<8}{1e3 * s['per_arm_s'][arm]:>10.2f} ms   "
            f"{s['per_arm_ratio'][arm]:.3f} of the ensemble"
        )
    print(f"    all {len(s['arms'])} (ensemble){1e3 * s['ensemble_s']:>9.2f} ms")
    ratio, target = s["uniform_bandit_ratio"], RATIO_SLACK * s["one_over_k"]
    verdict = pass_word(ratio <= target)
    print(
        f"    verdict: bandit/ensemble scoring cost under uniform arm use = {ratio:.3f} vs "
        f"1/K = {s['one_over_k']:.3f} (target <= {target:.3f}): {verdict}"
    )
    print(f"bench took {res['bench_s']:.0f} s")
    write_result("laser.json", res)


if __name__ == "__main__":
    main()
