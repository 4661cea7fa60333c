"""Scaling: ReMax step time as the batch doubles and as the response length doubles.

    python -m bench.bench_scaling [--model default] [--batch-sizes 2 4 8] [--base-tokens 16]
        [--lengths 16 32 64] [--base-batch 2] [--steps 2] [--warmup 1] [--threads N]

One ReMax loop (``+exp=shopping_mmlu``, embedded policy) runs ``train_step`` on fixed
batches: the batch sizes at ``--base-tokens`` new tokens, then the lengths at
``--base-batch`` prompts. Prompts are consecutive rows of the training set sorted by token
length (from its lower quartile), so a larger batch adds prompts of about the same length;
every response is forced to the full length (``min_new_tokens``). ``--warmup`` steps on the
smallest cell come first (one-off costs); each cell is the median of ``--steps`` steps (the
base cell, in both series, is timed once); the growth factor of a doubling is t(2x) / t(x). Verdict: no doubling costs more than 2.2x (at most linear, 10% slack); below
2 means the larger batch or length uses the cores better.
Writes ``bench/results/scaling.json``.
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

TARGET_GROWTH = 2.2
PARTS = ("generate", "reward", "fwd_bwd", "optimizer")


def similar_prompts(loop: Any, n: int) -> list[Any]:
    """``n`` training rows of about the same prompt length: consecutive in length order,
    from the lower quartile (short prompts keep the bench quick)."""
    from common.data.formatting import format_prompt

    tok = loop.tokenizer
    rows = sorted(
        loop.train_examples,
        key=lambda ex: len(tok(format_prompt(tok, ex.prompt), add_special_tokens=False).input_ids),
    )
    if len(rows) < n:
        raise ValueError(f"{n} prompts asked for, {len(rows)} training rows available")
    start = min(len(rows) // 4, len(rows) - n)
    return rows[start : start + n]


def time_cell(loop: Any, batch: list, n_tokens: int, steps: int, step0: int) -> dict:
    """Median seconds of ``train_step`` on ``batch`` with ``n_tokens`` new tokens."""
    loop.budget_of = lambda ex: n_tokens
    loop.policy.generation_config.min_new_tokens = n_tokens
    walls, parts = [], {p: [] for p in PARTS}
    for i in range(steps):
        t0 = time.perf_counter()
        figures = loop.train_step(step0 + i, batch)
        walls.append(time.perf_counter() - t0)
        for p in PARTS:
            parts[p].append(figures[f"time/{p}_s"])
    return {
        "batch_size": len(batch),
        "new_tokens": n_tokens,
        "step_s": round(median(walls), 4),
        "parts_s": {p: round(median(v), 4) for p, v in parts.items()},
    }


def growth(cells: list[dict]) -> list[float]:
    return [round(b["step_s"] / a["step_s"], 3) for a, b in zip(cells, cells[1:], strict=False)]


def run(
    model: str = "default",
    batch_sizes: Sequence[int] = (2, 4, 8),
    base_tokens: int = 16,
    lengths: Sequence[int] = (16, 32, 64),
    base_batch: int = 2,
    steps: int = 2,
    warmup: int = 1,
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    from drbo.trainer import PolicyGradientLoop
    from experiments.compose import compose_config

    with tempfile.TemporaryDirectory() as tmp:
        cfg = compose_config(
            "+exp=shopping_mmlu",
            f"model.name_or_path={model}",
            "trainer.steps=100000",  # the schedule must not reach lr 0 (no effect on time)
            f"trainer.batch_size={max(max(batch_sizes), base_batch)}",
            *QUIET_RUN,
            *overrides,
            output_dir=tmp,
        )
        loop = PolicyGradientLoop(cfg, tmp)
        loop.standardizer.fit({m: [0.0, 1.0] for m in loop.reward_set.names})
        pool = similar_prompts(loop, max(max(batch_sizes), base_batch))
        # Warm-up once, on the smallest cell: the first DeepSpeed step, the optimizer state
        # and the reward models' first call are one-off costs, not a cell's.
        time_cell(loop, pool[: min(batch_sizes)], min(lengths), warmup, 1)
        step = 1 + warmup
        cells: dict[tuple[int, int], dict] = {}  # the base cell is in both series
        for b, t in [(b, base_tokens) for b in batch_sizes] + [(base_batch, t) for t in lengths]:
            if (b, t) not in cells:
                cells[(b, t)] = time_cell(loop, pool[:b], t, steps, step)
                step += steps
        by_batch = [cells[(b, base_tokens)] for b in batch_sizes]
        by_length = [cells[(base_batch, t)] for t in lengths]
        loop.tracker.finish()
    g_b, g_t = growth(by_batch), growth(by_length)
    worst = max(g_b + g_t) if g_b + g_t else 0.0
    res: dict[str, Any] = {
        "bench": "scaling",
        "machine": machine(),
        "model": model,
        "warmup_steps": warmup,
        "steps_measured": steps,
        "by_batch": by_batch,
        "batch_growth": g_b,
        "by_length": by_length,
        "length_growth": g_t,
        "verdicts": [
            verdict_row(
                "scaling: worst growth per doubling",
                worst,
                f"<= {TARGET_GROWTH}",
                worst <= TARGET_GROWTH,
                f"batch doublings x{', x'.join(map(str, g_b))}; length doublings "
                f"x{', x'.join(map(str, g_t))}; worst x{worst} (target <= {TARGET_GROWTH}, "
                "at most linear)",
            )
        ],
    }
    return res


def _table(title: str, cells: list[dict], key: str, factors: list[float]) -> None:
    print(title)
    print(f"{key:>12}{'step s':>10}{'growth':>8}" + "".join(f"{p:>11}" for p in PARTS))
    for i, c in enumerate(cells):
        g = f"x{factors[i - 1]:.2f}" if i else ""
        print(
            f"{c[key]:>12}{c['step_s']:>10.3f}{g:>8}"
            + "".join(f"{c['parts_s'][p]:>11.3f}" for p in PARTS)
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default", help="embedded name, hub id, path, tiny-gpt2")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--base-tokens", type=int, default=16, help="new tokens while batch varies")
    ap.add_argument("--lengths", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--base-batch", type=int, default=2, help="batch while length varies")
    ap.add_argument("--steps", type=int, default=2, help="measured steps per cell")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up steps before the first cell")
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    add_threads_option(ap)
    args = ap.parse_args(argv)
    apply_threads(args.threads)
    res = run(
        args.model,
        args.batch_sizes,
        args.base_tokens,
        args.lengths,
        args.base_batch,
        args.steps,
        args.warmup,
    )
    print(f"ReMax step time on {res['model']} (median of {args.steps} steps per cell)")
    _table(
        f"batch size at {args.base_tokens} new tokens",
        res["by_batch"],
        "batch_size",
        res["batch_growth"],
    )
    _table(
        f"new tokens at batch {args.base_batch}",
        res["by_length"],
        "new_tokens",
        res["length_growth"],
    )
    print(res["verdicts"][0]["line"])
    write_result("scaling.json", res, args.results_dir)
    return res


if __name__ == "__main__":
    main()
