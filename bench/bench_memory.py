"""Memory: peak RSS per process for ZeRO-0 vs ZeRO-2 vs ZeRO-3 under two processes.

    python -m bench.bench_memory [--model default] [--stages 0 2 3] [--nproc 2] [--steps 2]
                                 [--set +engine.zero.KEY=VALUE ...]

For each stage, ``torchrun --standalone --nproc_per_node=2`` (gloo on CPU, one thread per
rank) runs this module in worker mode: it composes ``+exp=debug`` (DRBO ReMax, short
budgets, batch 2, eval off, no checkpoints) with ``model.name_or_path=--model`` and
``engine=zeroN``, builds the loop as ``experiments.run`` does and trains ``--steps`` steps.
Each rank reports, from /proc/self/status:
    base      RSS after the imports (torch, transformers, DeepSpeed),
    setup     peak RSS while building the loop (policy load, reference copy, reward models,
              ``deepspeed.initialize``),
    train     peak RSS during ``fit`` (the peak counter is reset after set-up by writing 5 to
              /proc/self/clear_refs; falls back to the whole-process peak where that fails),
    peak      the whole process's peak (the larger of the two).
Verdict: ZeRO-2's and ZeRO-3's per-rank training peak is below ZeRO-0's. With 2 ranks ZeRO
can at best halve the partitioned states (optimizer moments, and gradients for stage >= 2,
parameters for stage 3); the frozen reference copy, the activations, the reward models and
the libraries (the ``base``) are not partitioned, and on CPU in fp32 ZeRO-1/2 also keep an
fp32 copy of their parameter partition. The saving is therefore well under half a process.
ZeRO-3 can even cost more: DeepSpeed's default buckets are sized for billion-parameter
models (``stage3_max_live_parameters`` 1e9 exceeds a 135M model, so gathered parameters stay
resident; 5e8-element reduce / all-gather buckets), the weights are loaded whole on every
rank before being partitioned, and freed heap pages need not go back to the OS (RSS).
Writes ``bench/results/memory.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.harness import QUIET_RUN, RESULTS, machine, verdict_row, write_result

REPO = Path(__file__).resolve().parents[1]
DIST_VARS = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "LOCAL_WORLD_SIZE"}


# ---- per-process figures ---------------------------------------------------------------------
def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        m = re.search(rf"^{field}:\s+(\d+)\s*kB", f.read(), re.M)
    return int(m.group(1)) if m else 0


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def hwm_mb() -> float:
    """Peak RSS since the start or the last :func:`reset_peak`."""
    kb = _status_kb("VmHWM")
    return kb / 1024 if kb else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def worker(
    stage: int,
    model: str,
    steps: int,
    run_dir: str,
    out_dir: str,
    exp: str = "debug",
    overrides: Sequence[str] = (),
    fit_standardizer: bool = False,
) -> dict[str, Any]:
    """One rank: build and train the loop, report its memory figures (also to
    ``out_dir/rank<r>.json``)."""
    base = rss_mb()
    from common.rundir.distributed import rank, world_size
    from common.training.engine import init_distributed
    from common.training.loop import seed_everything
    from experiments.compose import compose_config
    from experiments.trainers import TRAINERS
    from experiments.validate import validate_config

    cfg = compose_config(
        f"+exp={exp}",
        f"model.name_or_path={model}",
        f"engine=zero{stage}",
        f"trainer.steps={steps}",
        "trainer.standardize_k=16",
        *QUIET_RUN,
        *overrides,
        output_dir=run_dir,
    )
    validate_config(cfg)
    init_distributed(cfg.engine.get("backend", "auto"))
    base = max(base, rss_mb())  # the imports above count as base too
    seed_everything(cfg.seed)
    t0 = time.perf_counter()
    loop = TRAINERS.get(cfg.trainer.name)(cfg, run_dir)
    if not fit_standardizer and hasattr(loop, "standardizer"):
        # Unit reward statistics: the K-sample pass is generation only (minutes under two
        # one-thread ranks) and never the memory peak, which is the update.
        loop.standardizer.fit({m: [0.0, 1.0] for m in loop.reward_set.names})
    setup_s = time.perf_counter() - t0
    # The kernel syncs its RSS counters lazily, so the high-water mark can read a little under
    # an RSS sampled earlier; the set-up peak is at least the base by definition.
    setup_peak = max(hwm_mb(), base)
    after_setup = rss_mb()
    reset = reset_peak()
    t0 = time.perf_counter()
    loop.fit()
    train_s = time.perf_counter() - t0
    train_peak = hwm_mb() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # ZeRO-3 leaves empty tensors in the module: ds_numel is a parameter's full size.
    n_params = sum(getattr(p, "ds_numel", p.numel()) for p in loop.policy.parameters())
    res = {
        "rank": rank(),
        "world_size": world_size(),
        "stage": stage,
        "base_mb": round(base, 1),
        "setup_peak_mb": round(setup_peak, 1),
        "after_setup_mb": round(after_setup, 1),
        "train_peak_mb": round(train_peak, 1),
        # ru_maxrss is the same kernel counter that the reset clears: take the max.
        "peak_mb": round(max(setup_peak, train_peak), 1),
        "peak_reset_ok": reset,
        "params": int(n_params),
        "setup_s": round(setup_s, 2),
        "train_s": round(train_s, 2),
    }
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / f"rank{res['rank']}.json").write_text(json.dumps(res))
    return res


# ---- the driver ------------------------------------------------------------------------------
def launch(
    stage: int,
    model: str,
    steps: int,
    nproc: int,
    overrides: Sequence[str] = (),
    timeout: int = 1200,
) -> list[dict]:
    """Run the worker under torchrun for one stage; the ranks' figures, rank order."""
    env = {k: v for k, v in os.environ.items() if k not in DIST_VARS}
    env.update(HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ranks"
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={nproc}",
            "-m",
            "bench.bench_memory",
            "--worker",
            f"--stage={stage}",
            f"--model={model}",
            f"--steps={steps}",
            f"--run-dir={tmp}/run",
            f"--out-dir={out}",
            *(f"--set={o}" for o in overrides),
        ]
        r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"ZeRO-{stage} under torchrun failed:\n{r.stderr[-4000:]}")
        return [json.loads((out / f"rank{i}.json").read_text()) for i in range(nproc)]


def model_state_mb(n_params: int, stage: int, nproc: int) -> float:
    """Textbook per-rank fp32 model states with AdamW: params P + grads P + moments 2P (P =
    4 bytes x params), ZeRO-1 splitting the moments, ZeRO-2 also the grads, ZeRO-3 also the
    params; plus the unpartitioned frozen reference (P). Ignores DeepSpeed's buffers."""
    p = 4 * n_params / 2**20
    params = p / nproc if stage >= 3 else p
    grads = p / nproc if stage >= 2 else p
    moments = 2 * p / nproc if stage >= 1 else 2 * p
    return params + grads + moments + p


def run(
    model: str = "default",
    stages: Sequence[int] = (0, 2, 3),
    steps: int = 2,
    nproc: int = 2,
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    t_start = time.perf_counter()
    per_stage = {}
    for s in stages:
        ranks = launch(s, model, steps, nproc, overrides)
        per_stage[str(s)] = {
            "ranks": ranks,
            "max_train_peak_mb": max(r["train_peak_mb"] for r in ranks),
            "max_peak_mb": max(r["peak_mb"] for r in ranks),
        }
    n_params = per_stage[str(stages[0])]["ranks"][0]["params"]
    for s in stages:
        per_stage[str(s)]["textbook_model_states_mb"] = round(model_state_mb(n_params, s, nproc), 1)
    res: dict[str, Any] = {
        "bench": "memory",
        "machine": machine(),
        "model": model,
        "nproc": nproc,
        "steps": steps,
        "overrides": list(overrides),
        "params": n_params,
        "stages": per_stage,
        "bench_s": round(time.perf_counter() - t_start, 1),
        "verdicts": [],
    }
    if "0" in per_stage:
        zero0 = per_stage["0"]["max_train_peak_mb"]
        for s in (x for x in stages if x in (2, 3)):
            v = per_stage[str(s)]["max_train_peak_mb"]
            saving = (zero0 - v) / zero0
            res["verdicts"].append(
                verdict_row(
                    f"memory: ZeRO-{s} per-rank training peak below ZeRO-0's",
                    round(saving, 4),
                    "> 0",
                    v < zero0,
                    f"ZeRO-{s} training peak {v:.0f} MB per rank vs ZeRO-0 {zero0:.0f} MB: "
                    f"{100 * saving:+.1f}% saved (target: less than ZeRO-0)",
                )
            )
    return res


def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default", help="embedded name, hub id, path, tiny-gpt2")
    ap.add_argument("--stages", type=int, nargs="+", default=[0, 2, 3])
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--steps", type=int, default=2, help="ReMax steps per run")
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra config override for every run, e.g. +engine.zero.stage3_max_live_parameters=10000000",
    )
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--stage", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--run-dir", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out-dir", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.stage, args.model, args.steps, args.run_dir, args.out_dir, overrides=args.set)
        return None
    res = run(args.model, args.stages, args.steps, args.nproc, args.set)
    print(
        f"peak RSS per rank, {res['nproc']} processes (torchrun, gloo, 1 thread each), "
        f"{res['model']} ({res['params'] / 1e6:.1f} M params), +exp=debug ReMax, "
        f"{res['steps']} steps" + (f", {' '.join(res['overrides'])}" if res["overrides"] else "")
    )
    print(
        f"{'stage':<7}{'rank':>5}{'base':>9}{'setup pk':>10}{'train pk':>10}{'peak':>9}"
        f"{'textbook states':>17}"
    )
    for s, st in res["stages"].items():
        for r in st["ranks"]:
            print(
                f"ZeRO-{s:<2}{r['rank']:>5}{r['base_mb']:>9.0f}{r['setup_peak_mb']:>10.0f}"
                f"{r['train_peak_mb']:>10.0f}{r['peak_mb']:>9.0f}"
                f"{st['textbook_model_states_mb']:>17.0f}"
            )
    print("(MB; textbook states = fp32 params + grads + AdamW moments + frozen reference)")
    for v in res["verdicts"]:
        print(v["line"])
    write_result("memory.json", res, args.results_dir)
    return res


if __name__ == "__main__":
    main()
