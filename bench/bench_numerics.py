"""The main job in bf16 and in fp32 from the same seed: wall time, per-step losses, evaluations.

    python -m bench.bench_numerics [--exp shopping_mmlu] [--runs BF16_DIR FP32_DIR]

Without ``--runs`` it starts ``python -m experiments.run +exp=EXP model.precision=bf16`` and
the same with fp32 side by side (two processes at once, same seed: the same batches, the
same start), waits for both and compares their run directories:

- wall time: each run's ``summary.json`` ``wall_s`` (evaluation before, reward statistics,
  the steps, evaluation after) and the process's own wall time; ratio bf16 / fp32, for
  information only: the two runs share the cores (the main job's own wall time, alone, is
  ``bench_main_job``'s).
- losses: the two runs sample different responses as soon as one logit rounds differently
  (bf16 keeps 8 mantissa bits), so per-step losses cannot agree token for token. What must
  agree is their distribution: |mean(bf16) - mean(fp32)| over the steps within
  ``LOSS_SE_TOLERANCE`` standard errors of the difference (Welch), and step 1's KL to the
  reference is 0 in both (policy = reference, same forward path).
- evaluations: per metric, a 95 % interval for the after-training score of each run,
  mean +- 1.96 sqrt(p (1 - p) / n) with n the eval rows of that metric (for scores in [0, 1]
  p (1 - p) bounds the variance, so the interval is conservative); the intervals of the two
  runs must overlap for every metric.
Writes ``bench/results/numerics.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, load_average, machine, median, verdict_row, write_result

LOSS_SE_TOLERANCE = 3.0


def start_run(exp: str, precision: str, out: Path, extra: list[str]) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "experiments.run",
        f"+exp={exp}",
        f"model.precision={precision}",
        f"paths.output_dir={out}",
        *extra,
    ]
    log = open(out.with_suffix(".log"), "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)


def run_dir_of(root: Path) -> Path:
    found = sorted(root.rglob("summary.json"))
    if not found:
        raise FileNotFoundError(f"no summary.json under {root}: the run did not finish")
    return found[-1].parent


def read_rows(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def eval_counts(run_dir: Path) -> dict[str, int]:
    """Eval rows per metric of the run (from its resolved config)."""
    from omegaconf import OmegaConf

    from common.data.run_data import load_run_data

    cfg = OmegaConf.load(run_dir / "resolved_config.yaml")
    names = list(cfg.rewards.names)
    _, evals = load_run_data(cfg.dataset, names, cfg.rewards.routing)
    if cfg.rewards.routing == "by_example":
        return {m: sum(ex.metric == m for ex in evals) for m in names}
    return {m: len(evals) for m in names}


def interval(p: float, n: int) -> tuple[float, float]:
    half = 1.96 * math.sqrt(max(p * (1 - p), 0.0) / max(n, 1))
    return (p - half, p + half)


def compare(bf16_dir: Path, fp32_dir: Path) -> dict[str, Any]:
    rows = {"bf16": read_rows(bf16_dir), "fp32": read_rows(fp32_dir)}
    summary = {
        "bf16": json.loads((bf16_dir / "summary.json").read_text()),
        "fp32": json.loads((fp32_dir / "summary.json").read_text()),
    }
    losses = {p: [r["loss"] for r in rs if r.get("loss") is not None] for p, rs in rows.items()}
    mean = {p: statistics.fmean(v) for p, v in losses.items()}
    se = math.sqrt(sum(statistics.variance(v) / len(v) for v in losses.values()))
    z = abs(mean["bf16"] - mean["fp32"]) / se if se > 0 else 0.0
    per_step = [abs(a - b) for a, b in zip(losses["bf16"], losses["fp32"], strict=False)]
    kl1 = {p: rs[0].get("kl") for p, rs in rows.items()}
    counts = eval_counts(bf16_dir)
    evals: dict[str, Any] = {}
    for m, n in counts.items():
        a = summary["bf16"]["eval"]["after"].get(m)
        b = summary["fp32"]["eval"]["after"].get(m)
        if a is None or b is None:
            continue
        ia, ib = interval(a, n), interval(b, n)
        evals[m] = {
            "n": n,
            "bf16": round(a, 4),
            "fp32": round(b, 4),
            "bf16_interval": [round(x, 4) for x in ia],
            "fp32_interval": [round(x, 4) for x in ib],
            "overlap": ia[0] <= ib[1] and ib[0] <= ia[1],
        }
    return {
        "runs": {"bf16": str(bf16_dir), "fp32": str(fp32_dir)},
        "steps": {p: len(v) for p, v in losses.items()},
        "losses": losses,
        "loss_mean": {p: round(v, 5) for p, v in mean.items()},
        "loss_mean_diff_in_se": round(z, 3),
        "loss_per_step_abs_diff": {
            "max": round(max(per_step), 5),
            "median": round(median(per_step), 5),
        },
        "kl_step1": kl1,
        "eval_after": evals,
        "wall_s": {p: s["wall_s"] for p, s in summary.items()},
        "wall_ratio_bf16_over_fp32": round(
            summary["bf16"]["wall_s"] / summary["fp32"]["wall_s"], 4
        ),
    }


def verdicts(res: dict[str, Any]) -> list[dict[str, Any]]:
    z = res["loss_mean_diff_in_se"]
    overlap = all(e["overlap"] for e in res["eval_after"].values())
    kl_zero = all(abs(v or 0.0) < 1e-6 for v in res["kl_step1"].values())
    return [
        verdict_row(
            "numerics: ReMax losses bf16 vs fp32 (mean diff in SE)",
            z,
            f"<= {LOSS_SE_TOLERANCE}",
            z <= LOSS_SE_TOLERANCE and kl_zero,
            f"mean loss bf16 {res['loss_mean']['bf16']} vs fp32 {res['loss_mean']['fp32']}: "
            f"{z:.2f} SE apart (tolerance {LOSS_SE_TOLERANCE}); step-1 KL {res['kl_step1']}",
        ),
        verdict_row(
            "numerics: final eval intervals overlap",
            sum(e["overlap"] for e in res["eval_after"].values()),
            f"== {len(res['eval_after'])}",
            overlap,
            "eval-after 95 % intervals overlap for "
            f"{sum(e['overlap'] for e in res['eval_after'].values())}/{len(res['eval_after'])} "
            "metrics",
        ),
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exp", default="shopping_mmlu")
    ap.add_argument("--runs", nargs=2, type=Path, metavar=("BF16_DIR", "FP32_DIR"))
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides for both runs")
    args = ap.parse_args(argv)
    if args.runs:
        dirs = [run_dir_of(d) for d in args.runs]
    else:
        tmp = Path(tempfile.mkdtemp(prefix="numerics_"))
        t0 = time.perf_counter()
        procs = {p: start_run(args.exp, p, tmp / p, list(args.overrides)) for p in ("bf16", "fp32")}
        codes = {p: proc.wait() for p, proc in procs.items()}
        if any(codes.values()):
            raise RuntimeError(f"a run failed: exit codes {codes}; logs in {tmp}")
        print(f"both runs done in {time.perf_counter() - t0:.0f} s ({tmp})")
        dirs = [run_dir_of(tmp / p) for p in ("bf16", "fp32")]
    res = {
        "bench": "numerics",
        "machine": machine(),
        "load_average": load_average(),
        "exp": args.exp,
        **compare(*dirs),
    }
    res["verdicts"] = verdicts(res)
    for v in res["verdicts"]:
        print(v["line"])
    for m, e in res["eval_after"].items():
        print(f"  {m:<16} bf16 {e['bf16_interval']}  fp32 {e['fp32_interval']}  n={e['n']}")
    write_result("numerics.json", res, args.results_dir)
    return res


if __name__ == "__main__":
    main()
