"""Peers: this project's ReMax and DPO steps against TRL's RLOO and DPO trainers.

The command line of ``python -m bench.bench_peers`` (see ``bench/peers/__init__.py``): runs
the comparisons of ``rloo.py``, ``dpo.py`` and ``grpo.py``, prints the report and writes
``bench/results/peers.json`` (``peers_grpo.json`` with ``--grpo-only``).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from typing import Any

from bench.harness import RESULTS, add_threads_option, apply_threads, machine, write_result
from bench.peers.common import (
    LABELS,
    TARGETS,
    TRL_MISSING,
    ratio,
    ratio_verdict,
    trl_version,
    versions,
)
from bench.peers.dpo import bench_dpo
from bench.peers.grpo import bench_grpo, print_grpo
from bench.peers.rloo import bench_remax


def measure(args, trl: bool) -> dict[str, Any]:
    """Both comparisons (the heavy part): {"remax": ..., "dpo": ...}."""
    with tempfile.TemporaryDirectory() as tmp:
        remax, batch = bench_remax(args, trl, tmp)
        gc.collect()  # the ReMax phase's policies, references and optimizers go first
        dpo = bench_dpo(args, trl, tmp, batch)
    return {"remax": remax, "dpo": dpo}


def report(measured: dict[str, Any], trl: str | None, args, bench_s: float) -> dict[str, Any]:
    remax, dpo = measured["remax"], measured["dpo"]
    ratios = {
        "remax_vs_rloo": ratio(remax["ours_s"], remax["trl_s"]),
        "dpo_vs_trl_dpo": ratio(dpo["ours_train_s"], dpo["trl_s"]),
    }
    return {
        "settings": {
            "model": args.model,
            "prompts": args.prompts,
            "new_tokens": args.new_tokens,
            "steps_measured": args.steps,
            "warmup_steps": 1,
            "trl_gradient_checkpointing": args.trl_gradient_checkpointing,
            "threads": args.threads,
            "precision": args.precision,
        },
        "machine": {**machine(), "note": "shared machine: figures are indicative"},
        "versions": versions(),
        "trl": None
        if trl is None
        else {
            "version": trl,
            "rloo_s": remax["trl_s"],
            "dpo_s": dpo["trl_s"],
            "rloo_config": remax["trl_config"],
            "dpo_config": dpo["trl_config"],
        },
        "seconds_per_step": {
            "remax_ours": remax["ours_s"],
            "rloo_trl": remax["trl_s"],
            "remax_plain": remax["plain_s"],
            "dpo_ours_train": dpo["ours_train_s"],
            "dpo_ours_step_minus_generation": dpo["ours_step_minus_generation_s"],
            "dpo_trl": dpo["trl_s"],
        },
        "remax_parts_s": remax["ours_parts_s"],
        "remax_ours_beside_plain_s": remax["ours_beside_plain_s"],
        "peak_rss_gb": {"remax": remax["peak_rss_gb"], "dpo": dpo["peak_rss_gb"]},
        "laser_parts_s": dpo["ours_parts_s"],
        "dpo_completion_tokens": dpo["completion_tokens"],
        "ratios": ratios,
        "targets": TARGETS,
        "verdicts": {k: ratio_verdict(r, TARGETS[k]) for k, r in ratios.items()},
        "samples_s": {"remax": remax["samples_s"], "dpo": dpo["samples_s"]},
        "bench_s": round(bench_s, 1),
    }


def print_report(res: dict[str, Any]) -> None:
    s, st = res["settings"], res["seconds_per_step"]
    print(
        f"Peers on {s['model']}: {s['prompts']} prompts, {s['new_tokens']} new tokens, "
        f"median of {s['steps_measured']} steps after 1 warm-up"
    )
    rows = [
        ("ReMax step (ours: PolicyGradientLoop.train_step)", st["remax_ours"]),
        ("TRL RLOOTrainer step (2 generations/prompt)", st["rloo_trl"]),
        ("plain hand-written ReMax step", st["remax_plain"]),
        ("  ours, timed beside the plain step", res["remax_ours_beside_plain_s"]),
        ("DPO training part (ours: LaserLoop, pairs)", st["dpo_ours_train"]),
        ("  LASeR step minus generation and scoring", st["dpo_ours_step_minus_generation"]),
        ("TRL DPOTrainer step (same pairs)", st["dpo_trl"]),
    ]
    print(f"{'step':<48}{'s/step':>10}")
    for name, v in rows:
        print(f"{name:<48}{'-' if v is None else f'{v:.2f}':>10}")
    parts = res["remax_parts_s"]
    print("ours ReMax parts: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
    print(f"peak resident memory: {res['peak_rss_gb']}")
    if res["trl"] is None:
        print(TRL_MISSING)
    for key, line in res["verdicts"].items():
        print(f"{LABELS[key]}: {line}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3, help="measured steps (after 1 warm-up)")
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--model", default="default")
    ap.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "bf16"],
        help="every side's compute precision (auto: bf16 where the CPU runs it fast)",
    )
    ap.add_argument(
        "--trl-gradient-checkpointing",
        action="store_true",
        help="keep TRL's default gradient checkpointing (ours runs without it)",
    )
    ap.add_argument("--grpo", action="store_true", help="also GRPO vs TRL GRPOTrainer")
    ap.add_argument("--grpo-only", action="store_true", help="only GRPO vs TRL GRPOTrainer")
    ap.add_argument("--grpo-n", type=int, default=4, help="GRPO samples per prompt")
    add_threads_option(ap)
    args = ap.parse_args(argv)
    apply_threads(args.threads)
    from common.models.precision import resolve_precision

    args.precision = resolve_precision(args.precision)  # one concrete precision for all sides
    if args.steps < 1 or args.prompts < 1 or args.new_tokens < 1 or args.grpo_n < 2:
        ap.error("--steps, --prompts and --new-tokens must be >= 1, --grpo-n >= 2")
    trl = trl_version()
    if trl is None:
        print(TRL_MISSING)
    if args.grpo_only:
        with tempfile.TemporaryDirectory() as tmp:
            g = bench_grpo(args, trl is not None, tmp)
        g["versions"] = versions()
        print_grpo(g)
        write_result("peers_grpo.json", g, RESULTS)
        return
    t0 = time.perf_counter()
    res = report(measure(args, trl is not None), trl, args, time.perf_counter() - t0)
    print_report(res)
    if args.grpo:
        with tempfile.TemporaryDirectory() as tmp:
            res["grpo"] = bench_grpo(args, trl is not None, tmp)
        print_grpo(res["grpo"])
    write_result("peers.json", res, RESULTS)


if __name__ == "__main__":
    main()
