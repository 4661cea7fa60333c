"""The main job's wall time, alone on the machine: what a user's ``make run`` costs.

    python -m bench.bench_main_job [--exp shopping_mmlu] [--rounds 1] [overrides ...]

Starts ``python -m experiments.run +exp=EXP`` (``make run``'s command, its embedded default
config: evaluation before and after, reward statistics, the steps) as a child process into a
temporary directory, ``--rounds`` times one after another, and records per round the
process's wall time (start-up, model loading and writing included: what the user waits for),
the run's own ``summary.json`` ``wall_s`` and the median step time from ``metrics.jsonl``
(the sum of a step's ``time/*`` timers). Target: the process under 4 minutes on 2 cores. Unlike
``bench_numerics``, which runs bf16 and fp32 at once to compare them, nothing else runs
beside it. Writes ``bench/results/main_job.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, load_average, machine, median, verdict_row, write_result

TARGET_S = 240.0


def one_round(exp: str, overrides: list[str], out: Path) -> dict[str, Any]:
    """Run the main job once into ``out``; its wall times and step timer."""
    cmd = [sys.executable, "-m", "experiments.run", f"+exp={exp}", f"paths.output_dir={out}"]
    cmd += overrides
    t0 = time.perf_counter()
    with open(out.with_suffix(".log"), "w") as log:
        code = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    if code:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}; log: {out.with_suffix('.log')}")
    summary_path = next(out.rglob("summary.json"))
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    rows = [
        json.loads(x) for x in (summary_path.parent / "metrics.jsonl").read_text().split("\n") if x
    ]
    # A step's time is the sum of its ``time/*`` timers (they cover the whole step).
    steps = [
        sum(v for k, v in r.items() if k.startswith("time/"))
        for r in rows
        if any(k.startswith("time/") for k in r)
    ]
    return {
        "process_wall_s": round(wall, 1),
        "run_wall_s": summary.get("wall_s"),
        "steps": len(steps),
        "median_step_s": round(median(steps), 3) if steps else None,
        "precision": json.loads((summary_path.parent / "run_info.json").read_text())
        .get("precision", {})
        .get("used"),
    }


def run(exp: str = "shopping_mmlu", rounds: int = 1, overrides: list[str] | None = None):
    with tempfile.TemporaryDirectory(prefix="main_job_") as tmp:
        per_round = [
            one_round(exp, list(overrides or []), Path(tmp) / f"round{i}") for i in range(rounds)
        ]
    wall = median(r["process_wall_s"] for r in per_round)
    res: dict[str, Any] = {
        "bench": "main_job",
        "machine": machine(),
        "load_average": load_average(),
        "command": f"python -m experiments.run +exp={exp} " + " ".join(overrides or []),
        "rounds": per_round,
        "median_process_wall_s": wall,
    }
    res["verdicts"] = [
        verdict_row(
            "main job: make run wall time (s)",
            wall,
            f"< {TARGET_S:.0f}",
            wall < TARGET_S,
            f"main job ({res['command'].strip()}) {wall:.0f} s wall, median of {rounds}, "
            f"{per_round[0]['steps']} steps of median {per_round[0]['median_step_s']} s "
            f"({per_round[0]['precision']}; target < {TARGET_S:.0f} s)",
        )
    ]
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exp", default="shopping_mmlu")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be >= 1")
    res = run(args.exp, args.rounds, args.overrides)
    print(res["verdicts"][0]["line"])
    write_result("main_job.json", res, args.results_dir)
    return res


if __name__ == "__main__":
    main()
