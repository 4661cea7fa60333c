"""What the peer comparisons share: TRL's presence and set-up (one plain process, the
precision ours runs in), interleaved timing of ours and a peer, the reward ours computes, and
ratio verdicts.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import resource
import time
from collections.abc import Callable
from typing import Any

from bench.harness import pass_word, seconds

TRL_PIN = "1.16.0"  # the version verified with transformers 5.23 / torch 2.13 (pyproject [bench])
TRL_MISSING = (
    f"TRL not installed: pip install -e '.[bench]' (trl=={TRL_PIN}) to run the peer comparison"
)
# ours / TRL seconds per step must not exceed these
TARGETS = {"remax_vs_rloo": 0.6, "dpo_vs_trl_dpo": 0.7, "grpo_vs_trl_grpo": 1.0}
LAUNCHER_ENV = ("LOCAL_RANK", "RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")
LABELS = {
    "remax_vs_rloo": "ReMax vs TRL RLOO",
    "dpo_vs_trl_dpo": "DPO vs TRL DPO",
    "grpo_vs_trl_grpo": "GRPO vs TRL GRPO",
}


def trl_version() -> str | None:
    """TRL's version when it imports, else None."""
    try:
        trl = importlib.import_module("trl")
    except ImportError:
        return None
    return str(getattr(trl, "__version__", "unknown"))


def ratio(ours: float | None, peer: float | None) -> float | None:
    """ours / peer seconds per step; None when either side is missing."""
    if ours is None or peer is None or peer <= 0:
        return None
    return ours / peer


def ratio_verdict(r: float | None, target: float) -> str:
    """``PASS ratio 0.55 (target ≤ 0.6)``; SKIP when the peer did not run."""
    if r is None:
        return f"SKIP (TRL not installed; target ≤ {target:g})"
    return f"{pass_word(r <= target)} ratio {r:.2f} (target ≤ {target:g})"


def peak_rss_gb() -> float:
    """The process's peak resident memory so far, GB (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


def gen_tokens(model, n: int) -> None:
    """Every response exactly n tokens: EOS is suppressed until n (with max_new_tokens = n)."""
    model.generation_config.min_new_tokens = n


class Interleave:
    """Callback hooks that time each TRL optimizer step and then run ``after`` (our steps)
    before the next one; mixed into a ``transformers.TrainerCallback`` by ``interleaved``."""

    def __init__(self, out: list[float], after: Callable[[], None]) -> None:
        self.out, self.after, self._t0 = out, after, 0.0

    def on_step_begin(self, args, state, control, **kw):
        self._t0 = time.perf_counter()

    def on_step_end(self, args, state, control, **kw):
        self.out.append(time.perf_counter() - self._t0)
        self.after()


def interleaved(rounds: int, ours: dict[str, Callable[[], None]], trainer=None) -> dict:
    """Seconds per call of each of ``ours`` and, with a TRL ``trainer``, of its optimizer
    steps (key ``trl``): ``rounds`` rounds of TRL step then ours; the caller drops round 1."""
    times: dict[str, list[float]] = {name: [] for name in ours}

    def one_round() -> None:
        for name, fn in ours.items():
            times[name].append(seconds(fn))

    if trainer is None:
        for _ in range(rounds):
            one_round()
        return times
    from transformers import TrainerCallback

    class InterleaveCallback(Interleave, TrainerCallback):
        pass

    times["trl"] = []
    trainer.add_callback(InterleaveCallback(times["trl"], one_round))
    trainer.train()
    return times


@contextlib.contextmanager
def single_process_env():
    """Hide the rendezvous variables our DeepSpeed engine set for its one-process group while
    a TRL trainer is built. With LOCAL_RANK set, accelerate treats a CPU run as MULTI_CPU and
    the Trainer wraps the policy in DDP (find_unused_parameters, gloo all-reduce), a cost
    no single-process TRL user pays."""
    saved = {k: os.environ.pop(k) for k in LAUNCHER_ENV if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def check_single_process(trainer) -> str:
    kind = str(trainer.accelerator.distributed_type)
    if not kind.endswith("NO"):
        raise RuntimeError(f"TRL would run as {kind} (DDP); the comparison needs a plain process")
    return kind


def trl_common(tmp: str, rounds: int, gc_on: bool, precision: str) -> dict[str, Any]:
    return dict(
        output_dir=tmp,
        use_cpu=True,
        bf16=precision == "bf16",
        max_steps=rounds,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
        gradient_checkpointing=gc_on,
        seed=0,
    )


def model_source(name: str, tmp: str) -> str:
    """A folder TRL can load the policy from (and rebuild its reference from)."""
    from common.models.assets import TINY_GPT2, load_causal_lm, resolve_model_path

    if name != TINY_GPT2:
        return resolve_model_path(name)
    model, tok = load_causal_lm(name)
    path = os.path.join(tmp, "tiny-gpt2")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def mixed_reward(loop, batch) -> Callable[[list[str]], list[float]]:
    """Scores responses to ``batch`` as PolicyGradientLoop does: reward set, standardization, mix."""
    import numpy as np

    from common.mixers.base import mix_rewards

    weights = loop.mixer.decide(1).weights

    def score(texts: list[str], rows: list[int] | None = None) -> list[float]:
        exs = batch if rows is None else [batch[i] for i in rows]
        table = loop.reward_set.score(exs, texts)
        scaled = np.where(table.mask, loop.standardizer.transform(table.scores), 0.0)
        return mix_rewards(scaled, table.mask, weights).tolist()

    return score


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in ("torch", "transformers", "peft", "deepspeed", "accelerate", "trl"):
        try:
            out[name] = importlib.import_module(name).__version__
        except ImportError:
            out[name] = None
    return out
