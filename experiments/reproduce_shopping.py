"""Held-out reproduction of DRBO's multi-type claim (the DRBO paper's Table 3 layout).

    python -m experiments.reproduce_shopping [--data FILE.jsonl] [--balancers average inverse delta]
        [--seed 0] [--out outputs/reproduce_shopping] [OVERRIDE ...]

Trains ``+exp=shopping_mmlu`` once per balancer with the same seed and steps, then evaluates
the untrained policy and every trained policy on one held-out ShopBench-format file:
``--data`` when given, else ``../shared/data/shopbench_dev.jsonl`` beside the checkout when
present, else the bundled sample's held-out eval split. Writes ``table.md``, ``table.csv`` and
``results.json`` into ``--out``: rows zero-shot / average / inverse / delta, columns the metric
families, their average, and the official overall score (mean over tasks). Trailing
arguments are Hydra overrides for every training run (e.g. ``trainer.steps=40``). Runs that
already finished (``summary.json`` and ``final_model/`` present) are not trained again.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from common.data.shopbench import load_shopbench, write_shopbench
from common.rewards.shopbench_eval import score_shopbench
from experiments.evaluate import predict
from experiments.studies.grid import DIST_VARS

REPO = Path(__file__).resolve().parents[1]
SHARED_DEV = REPO.parent / "shared" / "data" / "shopbench_dev.jsonl"
FAMILY_ORDER = (
    "ner_f1",
    "hit_at_3",
    "mc_accuracy",
    "ndcg",
    "sent_sim",
    "bleu4",
    "jp_bleu",
    "multilingual_sim",
    "rouge_l",
)


def heldout_file(data: Path | None, out: Path, overrides: list[str]) -> tuple[Path, str]:
    """The evaluation file and a short description of where it came from."""
    if data is not None:
        return data, f"--data {data}"
    if SHARED_DEV.exists():
        return SHARED_DEV, f"ShopBench dev ({SHARED_DEV})"
    from common.data.run_data import load_run_data
    from experiments.compose import compose_config

    cfg = compose_config("+exp=shopping_mmlu", *overrides, output_dir=out)
    _, evals = load_run_data(cfg.dataset, list(cfg.rewards.names), cfg.rewards.routing)
    path = out / "heldout_bundled_eval.jsonl"
    write_shopbench(path, evals)
    return path, f"bundled sample, held-out split ({len(evals)} rows)"


def train(balancer: str, seed: int, run_dir: Path, overrides: list[str]) -> None:
    if (run_dir / "summary.json").exists() and (run_dir / "final_model").exists():
        print(f"[{balancer}] already trained: {run_dir}")
        return
    cmd = [
        sys.executable,
        "-m",
        "experiments.run",
        "+exp=shopping_mmlu",
        f"balancer={balancer}",
        f"seed={seed}",
        f"hydra.run.dir={run_dir}",
        *overrides,
    ]
    print(f"[{balancer}] training: {' '.join(cmd[1:])}", flush=True)
    # Each training run is its own single-process job: it must not inherit a rendezvous
    # (port) that this process or a launcher set up.
    env = {k: v for k, v in os.environ.items() if k not in DIST_VARS}
    subprocess.run(cmd, cwd=REPO, check=True, env=env)


def table(rows: dict[str, dict]) -> tuple[list[str], list[list[str]]]:
    """Header and cells (x100, 2 decimals) for rows name -> score_shopbench result."""
    present = {m for r in rows.values() for m in r["per_metric"]}
    families = [m for m in FAMILY_ORDER if m in present] + sorted(present - set(FAMILY_ORDER))
    header = ["method", *families, "avg", "overall"]
    cells = []
    for name, r in rows.items():
        values = [r["per_metric"].get(m) for m in families]
        known = [v for v in values if v is not None]
        avg = sum(known) / len(known) if known else 0.0
        cells.append(
            [
                name,
                *(f"{100 * v:.2f}" if v is not None else "" for v in values),
                f"{100 * avg:.2f}",
                f"{100 * r['overall']:.2f}",
            ]
        )
    return header, cells


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="held-out ShopBench-format file")
    ap.add_argument("--balancers", nargs="+", default=["average", "inverse", "delta"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default="default", help="the untrained policy (zero-shot row)")
    ap.add_argument("--out", type=Path, default=REPO / "outputs" / "reproduce_shopping")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("overrides", nargs="*", help="Hydra overrides for every training run")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    overrides = list(args.overrides)
    if args.model != "default":
        overrides.append(f"model.name_or_path={args.model}")

    data, origin = heldout_file(args.data, args.out, overrides)
    examples = load_shopbench(data)
    print(f"held-out file: {origin}, {len(examples)} rows")
    for b in args.balancers:
        train(b, args.seed, args.out / "runs" / b, overrides)

    rows: dict[str, dict] = {}
    for name, spec in [("zero-shot", args.model)] + [
        (b, str(args.out / "runs" / b)) for b in args.balancers
    ]:
        scores = score_shopbench(examples, predict(spec, examples, args.batch_size))
        rows[name] = {k: scores[k] for k in ("per_task", "per_metric", "overall")}
        print(f"[{name}] overall {100 * scores['overall']:.2f}", flush=True)

    header, cells = table(rows)
    md = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(c) + " |" for c in cells]
    note = (
        f"\nHeld-out: {origin}. Seed {args.seed}; overrides: {overrides or 'none'}. "
        "Scores x100; avg = mean of the metric columns, overall = mean over tasks.\n"
    )
    (args.out / "table.md").write_text("\n".join(md) + "\n" + note)
    with open(args.out / "table.csv", "w", newline="") as f:
        csv.writer(f).writerows([header, *cells])
    (args.out / "results.json").write_text(
        json.dumps(
            {"heldout": origin, "seed": args.seed, "overrides": overrides, "rows": rows}, indent=2
        )
    )
    print("\n".join(md) + "\n" + note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
