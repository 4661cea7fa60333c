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
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PARTS = ("generate", "reward", "balance", "forward", "backward", "optimizer", "logging", "other")
OUTSIDE_MODEL = ("reward", "balance", "logging", "other")
TARGET_OUTSIDE = 0.10
RESULTS = Path(__file__).resolve().parent / "results"
# Every bench's loop runs only the steps it times: no evaluation, checkpoints, export, tracker.
QUIET_RUN = (
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.save_every=0",
    "trainer.export_final=false",
    "logger=none",
)


def machine() -> dict[str, Any]:
    """Python, platform, torch and thread counts: the context every result needs."""
    from bench.bench_metrics import machine as _machine

    return _machine()


def add_threads_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: torch's choice; 1 on a machine shared with other jobs, "
        "where 2 threads on a busy core wait on each other at every op)",
    )


def apply_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def write_result(name: str, result: dict[str, Any], results_dir: Path = RESULTS) -> Path:
    """Write ``results_dir/name`` atomically (a reader never sees half a file)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / name
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def wrap_timed(obj: Any, name: str, sink: list[float]) -> None:
    """Replace ``obj.name`` by a wrapper that appends each call's seconds to ``sink`` (an
    instance attribute shadows the method: the library is not touched)."""
    inner: Callable[..., Any] = getattr(obj, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            sink.append(time.perf_counter() - t0)

    setattr(obj, name, timed)


class StepRecorder:
    """Per-step timings of a training loop's ``fit`` without editing the loop.

    Wraps ``loop.next_batch``, ``loop.engine.backward``, ``loop.engine.step`` and
    ``loop.tracker.log``. A step ends when its row is logged and starts where the previous
    one ended (the first at its ``next_batch``), so everything the loop does between rows
    (progress bar, stop-request collective, checkpoint hooks) lands in some step. ``rows``
    then holds, per step: ``wall``, ``backward``, ``optimizer_call`` (engine.step),
    ``logging`` (tracker.log) and ``figures`` (what the loop logged).
    """

    def __init__(self, loop: Any) -> None:
        self.rows: list[dict[str, Any]] = []
        self._backward: list[float] = []
        self._step: list[float] = []
        self._start = time.perf_counter()
        wrap_timed(loop.engine, "backward", self._backward)
        wrap_timed(loop.engine, "step", self._step)
        next_batch = loop.next_batch
        log = loop.tracker.log

        def starting(step: int) -> Any:
            if not self.rows:
                self._start = time.perf_counter()
            return next_batch(step)

        def logging(step: int, metrics: dict[str, Any]) -> None:
            t0 = time.perf_counter()
            log(step, metrics)
            t1 = time.perf_counter()
            self.rows.append(
                {
                    "step": step,
                    "wall": t1 - self._start,
                    "logging": t1 - t0,
                    "backward": sum(self._backward),
                    "optimizer_call": sum(self._step),
                    "figures": dict(metrics),
                }
            )
            self._backward.clear()
            self._step.clear()
            self._start = time.perf_counter()

        loop.next_batch = starting
        loop.tracker.log = logging


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


def summarize(
    per_step: list[dict[str, float]], parts: Sequence[str], outside: Sequence[str]
) -> dict[str, Any]:
    """Median seconds per part over steps; step = sum of the medians; shares of it."""
    med = {p: median([s[p] for s in per_step]) for p in parts}
    step_s = sum(med.values()) or 1e-12
    return {
        "step_s": round(step_s, 4),
        "parts_s": {p: round(v, 4) for p, v in med.items()},
        "shares": {p: round(v / step_s, 4) for p, v in med.items()},
        "outside_model_share": round(sum(med[p] for p in outside) / step_s, 4),
    }


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
    res["verdicts"] = [verdict(res)]
    return res


def verdict_row(name: str, value: Any, target: str, passed: bool, text: str) -> dict[str, Any]:
    """One verdict as every bench writes it; ``line`` is ``text`` ending in PASS or FAIL."""
    line = f"{text}: {'PASS' if passed else 'FAIL'}"
    return {"name": name, "value": value, "target": target, "pass": passed, "line": line}


def verdict(res: dict[str, Any]) -> dict[str, Any]:
    share = res["outside_model_share"]
    return verdict_row(
        "drbo: time outside model compute",
        share,
        f"< {TARGET_OUTSIDE}",
        share < TARGET_OUTSIDE,
        f"time outside model compute: {100 * share:.2f}% of a step "
        f"(target < {100 * TARGET_OUTSIDE:.0f}%)",
    )


def print_breakdown(title: str, res: dict[str, Any], parts: Sequence[str]) -> None:
    print(title)
    print(f"{'part':<12}{'seconds':>10}{'share':>9}")
    for p in parts:
        print(f"{p:<12}{res['parts_s'][p]:>10.3f}{100 * res['shares'][p]:>8.1f}%")
    print(f"{'step':<12}{res['step_s']:>10.3f}   ({1 / res['step_s']:.3f} steps/s)")


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
