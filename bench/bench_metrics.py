"""Metric throughput: samples/s per ShopBench metric on synthetic outputs.

    python -m bench.bench_metrics [--n-string 5000] [--n-embed 256] [--batch-sizes 8 32 128]

String metrics score ``--n-string`` samples in one batch (about 1 in 10 outputs is junk, as
from a young policy). Embedding metrics score ``--n-embed`` samples in batches of each size,
after a warm-up batch, to show how batching scales. Prints a table and writes
``bench/results/metrics.json``.
"""

from __future__ import annotations

import argparse
import functools
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import common.rewards.embedding_sim  # noqa: F401  (registrations)
import common.rewards.shopbench_metrics  # noqa: F401
import common.rewards.text_overlap  # noqa: F401
from bench.harness import RESULTS, machine, write_json
from common.rewards.registry import build_scorer

RESULTS_FILE = RESULTS / "metrics.json"
WORDS = (
    "the a comfortable fits snug running shoes watch band strap wrist bag handbag water "
    "purification unit removes impurities switch lever electric soft starter pack blocks "
    "colour price quality bright works fine super cute not really slightly for on of"
).split()
JUNK = ["", "I am not sure.", "x" * 20_000, "Answer:", "[[[[", "none"]


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(lo, hi)))


def _maybe_junk(rng: random.Random, output: str) -> str:
    return rng.choice(JUNK) if rng.random() < 0.1 else output


def synthetic(metric: str, n: int, seed: int = 0) -> tuple[list[str], list[Any]]:
    """``n`` (output, gold) pairs shaped like ShopBench rows of ``metric``."""
    rng = random.Random(seed)
    outputs, golds = [], []
    for _ in range(n):
        if metric == "mc_accuracy":
            gold: Any = rng.randint(0, 3)
            out = f"{rng.randint(0, 3)}. {_sentence(rng, 0, 8)}"
        elif metric == "hit_at_3":
            gold = rng.sample(range(1, 16), 3)
            out = str(rng.sample(range(1, 16), 5))
        elif metric == "ndcg":
            gold = [rng.choice([0, 0.01, 0.1, 1]) for _ in range(5)]
            out = ", ".join(map(str, rng.sample(range(1, 6), 5)))
        elif metric == "ner_f1":
            gold = [rng.choice(WORDS)]
            picked = rng.sample(WORDS, rng.randint(1, 3))
            out = str(picked) if rng.random() < 0.5 else ", ".join(picked)
        else:  # generation metrics
            gold = _sentence(rng, 3, 25)
            out = "\n".join(_sentence(rng, 3, 30) for _ in range(rng.randint(1, 2)))
        outputs.append(_maybe_junk(rng, out))
        golds.append(gold)
    return outputs, golds


def _rate(fn: Callable[[], Any], n: int) -> dict[str, float]:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    return {"samples": n, "seconds": round(seconds, 4), "samples_per_s": round(n / seconds, 1)}


def bench_string(names: Sequence[str], n: int) -> dict[str, dict[str, float]]:
    results = {}
    for name in names:
        scorer = build_scorer(name)
        outputs, golds = synthetic(name, n)
        results[name] = _rate(functools.partial(scorer, [""] * n, outputs, golds), n)
        print(f"{name:<18} {results[name]['samples_per_s']:>12,.0f} samples/s  (n={n})")
    return results


def _score_batches(scorer: Any, batches: list[tuple[list[str], list[Any]]]) -> None:
    for outputs, golds in batches:
        scorer([""] * len(outputs), outputs, golds)


def bench_embedding(
    names: Sequence[str], n: int, batch_sizes: Sequence[int]
) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name in names:
        scorer = build_scorer(name)
        outputs, golds = synthetic(name, n)
        scorer([""] * 8, outputs[:8], golds[:8])  # warm-up: lazy init, thread pools
        results[name] = {}
        for b in batch_sizes:
            batches = [(outputs[i : i + b], golds[i : i + b]) for i in range(0, n, b)]
            run = functools.partial(_score_batches, scorer, batches)
            results[name][str(b)] = _rate(run, n)
            print(
                f"{name:<18} batch {b:>4} {results[name][str(b)]['samples_per_s']:>9,.1f} samples/s"
            )
    return results


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_metrics", description=__doc__)
    parser.add_argument("--n-string", type=int, default=5000)
    parser.add_argument("--n-embed", type=int, default=256)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--skip-embedding", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)

    string_names = ["mc_accuracy", "hit_at_3", "ndcg", "ner_f1", "rouge_l", "bleu4", "jp_bleu"]
    report: dict[str, Any] = {"machine": machine()}
    print("string metrics")
    report["string_metrics"] = bench_string(string_names, args.n_string)
    if not args.skip_embedding:
        print("embedding metrics")
        report["embedding_metrics"] = bench_embedding(
            ["sent_sim", "multilingual_sim"], args.n_embed, args.batch_sizes
        )
    write_json(args.out, report)
    print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main()
