"""DRBO step breakdown on the embedded policy: where a ReMax step's time goes.

    python -m bench.bench_drbo [--steps 4] [--model default]

Runs a few ReMax steps of ``+exp=shopping_mmlu`` (no evaluation) and prints seconds and
shares of a step for generation, reward scoring, balancing, forward/backward and the
optimizer, the share spent outside model compute (target < 10%), and the step rate.
Writes ``bench/results/drbo_step.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from common.tracking import read_metrics

PARTS = ("generate", "reward", "balance", "fwd_bwd", "optimizer")
OUTSIDE_MODEL = ("reward", "balance")
RESULTS = Path(__file__).resolve().parent / "results"


def run(steps: int, model: str, batch_size: int) -> dict:
    from drbo.trainer import ReMaxLoop
    from experiments.compose import compose_config

    with tempfile.TemporaryDirectory() as tmp:
        cfg = compose_config(
            "+exp=shopping_mmlu",
            f"model.name_or_path={model}",
            f"trainer.steps={steps}",
            f"trainer.batch_size={batch_size}",
            "trainer.eval_before=false",
            "trainer.eval_after=false",
            "trainer.standardize_k=16",
            "trainer.save_every=0",
            "logger=none",
            output_dir=tmp,
        )
        t0 = time.perf_counter()
        loop = ReMaxLoop(cfg, tmp)
        setup_s = time.perf_counter() - t0
        loop.fit()
        rows = read_metrics(Path(tmp) / "metrics.jsonl")
    # Step 1 pays one-off costs (first DeepSpeed step, kernel warm-up): report the rest.
    steady = rows[1:] if len(rows) > 1 else rows
    per_part = {p: sum(r[f"time/{p}_s"] for r in steady) / len(steady) for p in PARTS}
    step_s = sum(per_part.values())
    outside = sum(per_part[p] for p in OUTSIDE_MODEL)
    return {
        "model": model,
        "batch_size": batch_size,
        "steps_measured": len(steady),
        "setup_s": round(setup_s, 2),
        "step_s": round(step_s, 3),
        "parts_s": {p: round(v, 4) for p, v in per_part.items()},
        "shares": {p: round(v / step_s, 4) for p, v in per_part.items()},
        "outside_model_share": round(outside / step_s, 4),
        "tokens_per_s": round(sum(r["tokens_per_s"] for r in steady) / len(steady), 2),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--model", default="default")
    ap.add_argument("--batch-size", type=int, default=4)
    args = ap.parse_args(argv)
    res = run(args.steps, args.model, args.batch_size)
    print(
        f"DRBO ReMax step on {res['model']} (batch {res['batch_size']}, "
        f"{res['steps_measured']} steady steps)"
    )
    print(f"{'part':<12}{'seconds':>10}{'share':>9}")
    for p in PARTS:
        print(f"{p:<12}{res['parts_s'][p]:>10.3f}{100 * res['shares'][p]:>8.1f}%")
    print(f"{'step':<12}{res['step_s']:>10.3f}")
    share = res["outside_model_share"]
    verdict = "PASS" if share < 0.10 else "FAIL"
    print(f"time outside model compute: {100 * share:.2f}% of a step (target < 10%): {verdict}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "drbo_step.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
