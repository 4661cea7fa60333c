"""Arm shares over training and summed reward-scoring time (time/reward_s) per run, H3a and
H3c: python results/ifeval_bandit_budget/arm_shares.py outputs/studies/ifeval_bandit_budget"""

import json
import statistics as st
import sys
from collections import Counter
from pathlib import Path

root = Path(sys.argv[1])
arms = ["verifier", "noisy", "coin", "judge", "length"]
for cond in ["linucb", "random", "best_single", "ensemble"]:
    shares, rtimes, seeds = Counter(), [], []
    n = 0
    for d in sorted((root / "runs" / cond).glob("seed*")):
        if not (d / "summary.json").exists():
            continue
        rows = [json.loads(line) for line in open(d / "metrics.jsonl")]
        rows = [r for r in rows if "weight/verifier" in r]
        for r in rows:
            for a in arms:
                shares[a] += r[f"weight/{a}"]
        n += len(rows)
        rtimes.append(sum(r.get("time/reward_s", 0) for r in rows))
        seeds.append(d.name)
        vn = sum(r["weight/verifier"] + r["weight/noisy"] for r in rows) / len(rows)
        print(
            f"  {cond} {d.name}: verifier+noisy {vn:.3f}, coin {sum(r['weight/coin'] for r in rows) / len(rows):.3f}, reward_s {rtimes[-1]:.1f}"
        )
    if n:
        print(
            cond,
            seeds,
            {a: round(shares[a] / n, 3) for a in arms},
            "reward_s per run: median",
            round(st.median(rtimes), 1),
            [round(t, 1) for t in rtimes],
        )
