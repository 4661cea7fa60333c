"""Peers: this project's ReMax and DPO steps against TRL's RLOO and DPO trainers.

    python -m bench.bench_peers [--steps 3] [--prompts 8] [--new-tokens 32] [--model default]
                                [--precision auto|fp32|bf16] [--threads N]
                                [--trl-gradient-checkpointing]

Everything runs in one process on the same policy (``--model``, the embedded SmolLM2-135M-
Instruct by default), the same ``--prompts`` prompts (the first batch ``PolicyGradientLoop`` draws from
the bundled shopping sample, chat-templated by ``format_prompt``) and responses of exactly
``--new-tokens`` tokens everywhere (EOS suppressed until then: ``min_new_tokens`` =
``max_new_tokens``, so an early EOS never makes one side cheaper). Every side runs in one
precision, ``--precision`` resolved as ``model.precision`` resolves it (``auto``: bf16 on a CPU
with AMX or AVX512-BF16): ours with ``model.precision=<it>`` (fp32 master weights and optimizer
state, bf16 compute), TRL with ``bf16=True`` (accelerate's bf16 autocast over fp32 weights, the
same split), the plain step under the same autocast.

1. ReMax vs RLOO. Ours: ``PolicyGradientLoop.train_step`` on a fixed batch (``+exp=shopping_mmlu``,
   every task type's budget set to ``--new-tokens``, DeepSpeed ZeRO-0, no evaluation, no
   logger): one sampled and one greedy response per prompt, reward scoring, reference
   forward, policy forward/backward, optimizer step. TRL: ``RLOOTrainer`` with its defaults
   (beta 0.05, so a reference model; num_generations 2), one optimizer step = the same
   prompts x 2 sampled generations, rewarded by our reward set (the same scorers and
   standardization, so scoring costs the same). Target: ours <= 0.6 x TRL.
2. DPO. Ours: the training part of ``LaserLoop.train_step`` (``+exp=instruct_laser``: loss
   dpo, LoRA r 16 alpha 32 on all linear layers), i.e. its ``time/fwd_bwd_s`` + ``time/optimizer_s``: reference
   log-probs of chosen and rejected, policy log-probs, loss, backward, optimizer step. That is
   exactly what one ``DPOTrainer`` step does on a batch of pairs, so it is the like-for-like
   figure; the rest of a LASeR step (sampling n responses, bandit context forward, reward-
   model scoring) has no TRL DPO counterpart. Generation and scoring are replaced by a fixed
   rollout (``--prompts`` pairs, one per prompt) and fixed scores; the LASeR step minus
   generation and scoring (context + bandit + train) is reported beside it for information.
   The reference is never refreshed (``steps_per_iteration`` huge), so it is the base model
   with the adapter disabled, as in TRL. TRL: ``DPOTrainer`` with its defaults (sigmoid loss,
   beta 0.1, reference log-probs computed each step, not precomputed), the same LoRA config,
   ``per_device_train_batch_size`` = the number of pairs. Both sides train on the same token
   ids (prompt + completion + EOS, split as TRL splits them; checked and reported).
   Target: ours <= 0.7 x TRL.
4. ``--grpo`` (also) / ``--grpo-only``: GRPO. Ours: ``PolicyGradientLoop.train_step`` (``trainer=grpo``,
   ``--grpo-n`` samples per prompt, k3 KL 0.04 to the reference, one update per rollout).
   TRL: ``GRPOTrainer`` on the same work: the same prompts x ``--grpo-n`` generations per
   optimizer step, beta = our ``kl_coef`` (so both run a reference forward), the same
   temperature/top-p, loss_type ``grpo``, group std scaling, one iteration per generation,
   rewarded by our reward set as in 1. Target: ours <= 1.0 x TRL. Written to
   ``bench/results/peers_grpo.json`` with ``--grpo-only``, else inside ``peers.json``.
3. A plain hand-written ReMax step (sample + greedy ``generate``, the same reward scoring,
   reference forward, policy forward/backward with ``logits_to_keep``, AdamW), a reference
   point for what the step costs without any framework.

Fairness choices. TRL's trainers default to gradient checkpointing (a recomputed forward,
trading time for memory); ours runs without it, so TRL runs without it too unless
``--trl-gradient-checkpointing`` (TRL's out-of-the-box setting). TRL steps are timed from
``on_step_begin`` to ``on_step_end`` (generation, scoring, forwards, backward, clipping,
optimizer), which leaves out the Trainer's dataloader and logging between steps, as ours
leaves out ``next_batch`` and the tracker. Each ratio's two sides are interleaved round by
round (the TRL step, then ours, from a TRL callback), so a busy spell on the shared cores
hits both. The plain step is interleaved with ours after the TRL trainer is freed (two
policies with references and optimizer states resident at a time, not three: 8 prompts of
~300 tokens need several GB of activations per side). Round 1 of each run is warm-up; each
figure is the median of ``--steps`` rounds. Peak resident memory is recorded.
On a machine other jobs keep busy, ``--threads 1`` gives steadier figures: with two OpenMP
threads competing for the cores, a small matmul was measured 3-30x slower than with one.

Without TRL the bench says how to install it, still times our steps and the plain step,
writes ``"trl": null`` and exits 0. Writes ``bench/results/peers.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import gc
import importlib
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import QUIET_RUN, add_threads_option, apply_threads

RESULTS = Path(__file__).resolve().parent / "results"
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


# ---- small helpers (tested) ---------------------------------------------------------------------
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


def verdict(r: float | None, target: float) -> str:
    """``PASS ratio 0.55 (target ≤ 0.6)``; SKIP when the peer did not run."""
    if r is None:
        return f"SKIP (TRL not installed; target ≤ {target:g})"
    return f"{'PASS' if r <= target else 'FAIL'} ratio {r:.2f} (target ≤ {target:g})"


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def peak_rss_gb() -> float:
    """The process's peak resident memory so far, GB (Linux reports ru_maxrss in KiB)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


def _seconds(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _gen_tokens(model, n: int) -> None:
    """Every response exactly n tokens: EOS is suppressed until n (with max_new_tokens = n)."""
    model.generation_config.min_new_tokens = n


def common_prefix(a: list[int], b: list[int]) -> int:
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return k


def preference_ids(tok, prompt: str, chosen: str, rejected: str) -> tuple[list, list, list]:
    """(prompt_ids, chosen_ids, rejected_ids) as TRL's DPOTrainer builds them from text: EOS
    appended to each completion, completion = where prompt and prompt+completion diverge."""
    p = tok(prompt)["input_ids"]
    pc = tok(prompt + chosen + tok.eos_token)["input_ids"]
    pr = tok(prompt + rejected + tok.eos_token)["input_ids"]
    k = min(common_prefix(p, pc), common_prefix(p, pr))
    return p[:k], pc[k:], pr[k:]


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
            times[name].append(_seconds(fn))

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


def _trl_common(tmp: str, rounds: int, gc_on: bool, precision: str) -> dict[str, Any]:
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


def _model_source(name: str, tmp: str) -> str:
    """A folder TRL can load the policy from (and rebuild its reference from)."""
    from common.models.assets import TINY_GPT2, load_causal_lm, resolve_model_path

    if name != TINY_GPT2:
        return resolve_model_path(name)
    model, tok = load_causal_lm(name)
    path = os.path.join(tmp, "tiny-gpt2")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


# ---- 1. ReMax vs RLOO (+ the plain step) --------------------------------------------------------
def remax_loop(args, tmp: str):
    from drbo.trainer import PolicyGradientLoop
    from experiments.compose import compose_config

    cfg = compose_config(
        "+exp=shopping_mmlu",
        f"model.name_or_path={args.model}",
        f"model.precision={args.precision}",
        f"trainer.steps={args.steps + 1}",
        f"trainer.batch_size={args.prompts}",
        "trainer.standardize_k=8",
        *QUIET_RUN,
        output_dir=tmp,
    )
    for task in cfg.dataset.max_new_tokens:
        cfg.dataset.max_new_tokens[task] = args.new_tokens
    loop = PolicyGradientLoop(cfg, tmp)
    loop.prepare()  # reward statistics from a few samples: set-up, not timed
    _gen_tokens(loop.policy, args.new_tokens)
    return loop, loop.batch_for(1)


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


class PlainReMax:
    """ReMax written out by hand: no engine, no loop, one AdamW over the full policy."""

    def __init__(
        self, model_name: str, prompts: list[str], score, new_tokens: int, tr, precision: str
    ) -> None:
        import torch

        from common.models.assets import load_causal_lm

        self.model, self.tok = load_causal_lm(model_name)
        self.ref = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=float(tr.lr), betas=(0.9, 0.95))
        self.enc = self.tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        self.score, self.T, self.tr = score, new_tokens, tr
        self.bf16 = precision == "bf16"  # bf16 autocast over fp32 weights, as TRL's bf16=True

    def step(self) -> None:
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            self._step()

    def _step(self) -> None:
        import torch
        import torch.nn.functional as F

        m, T, tr, enc = self.model, self.T, self.tr, self.enc
        gen = dict(max_new_tokens=T, min_new_tokens=T, pad_token_id=self.tok.pad_token_id)
        m.eval()
        with torch.no_grad():
            seq = m.generate(
                **enc, do_sample=True, temperature=tr.temperature, top_p=tr.top_p, top_k=0, **gen
            )
            greedy = m.generate(
                **enc, do_sample=False, temperature=None, top_p=None, top_k=None, **gen
            )
        P = enc["input_ids"].shape[1]
        decode = self.tok.batch_decode
        adv = torch.tensor(self.score(decode(seq[:, P:], skip_special_tokens=True)))
        adv -= torch.tensor(self.score(decode(greedy[:, P:], skip_special_tokens=True)))
        adv = adv.clamp(-tr.adv_clip, tr.adv_clip)
        attn = torch.cat([enc["attention_mask"], torch.ones_like(seq[:, P:])], dim=1)
        kw = dict(
            input_ids=seq,
            attention_mask=attn,
            position_ids=(attn.cumsum(1) - 1).clamp(min=0),
            logits_to_keep=T + 1,  # only the logits that predict response tokens
        )
        target = seq[:, P:].unsqueeze(-1)

        def logps(model):
            logits = model(**kw).logits[:, :-1].float()
            return torch.gather(F.log_softmax(logits, -1), 2, target).squeeze(-1)

        with torch.no_grad():
            ref = logps(self.ref)
        m.train()
        logp = logps(m)
        rewards = -tr.kl_coef * (logp.detach() - ref)
        rewards[:, -1] += adv
        returns, running = torch.zeros_like(rewards), torch.zeros_like(rewards[:, 0])
        for t in range(T - 1, -1, -1):
            running = rewards[:, t] + tr.gamma * running
            returns[:, t] = running
        loss = -(returns * logp).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)


def bench_remax(args, trl: bool, tmp: str) -> tuple[dict[str, Any], list]:
    from common.data.formatting import format_prompt

    rounds = args.steps + 1
    loop, batch = remax_loop(args, tmp)
    prompts = [format_prompt(loop.tokenizer, ex.prompt) for ex in batch]
    score = mixed_reward(loop, batch)
    parts: list[dict] = []
    counter = iter(range(1, 10**9))

    def ours() -> None:
        fig = loop.train_step(next(counter), batch)
        p = {k[5:-2]: v for k, v in fig.items() if k.startswith("time/")}
        p["train"] = p["fwd_bwd"] + p["optimizer"]  # reference + policy fwd/bwd + step
        parts.append(p)

    trainer, trl_cfg = None, None
    if trl:
        from datasets import Dataset
        from trl import RLOOConfig, RLOOTrainer

        def reward_func(prompts, completions, row, **kw):
            return score(completions, row)

        with single_process_env():
            config = RLOOConfig(
                **_trl_common(
                    os.path.join(tmp, "rloo"),
                    rounds,
                    args.trl_gradient_checkpointing,
                    args.precision,
                ),
                # one optimizer step = every prompt x 2 generations
                per_device_train_batch_size=2 * len(prompts),
                num_generations=2,
                max_completion_length=args.new_tokens,
                generation_kwargs={"min_new_tokens": args.new_tokens},
            )
            data = Dataset.from_list([{"prompt": p, "row": i} for i, p in enumerate(prompts)])
            trainer = RLOOTrainer(
                model=_model_source(args.model, tmp),
                reward_funcs=reward_func,
                args=config,
                train_dataset=data,
                processing_class=copy.deepcopy(loop.tokenizer),  # TRL may reconfigure it
            )
        same_prompt_ids = [trainer.processing_class(text=p)["input_ids"] for p in prompts] == [
            loop.tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts
        ]
        trl_cfg = {
            "num_generations": config.num_generations,
            "per_device_train_batch_size": config.per_device_train_batch_size,
            "beta": config.beta,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "gradient_checkpointing": config.gradient_checkpointing,
            "distributed_type": check_single_process(trainer),
            "same_prompt_token_ids": same_prompt_ids,
        }
    # Two policies resident at a time (each with its reference and AdamW state, ~2.2 GB for
    # SmolLM2, plus activations): ours against TRL, then ours against the plain step.
    times = interleaved(rounds, {"ours": ours}, trainer)
    peak_trl = peak_rss_gb()
    trainer = None
    gc.collect()
    plain = PlainReMax(
        args.model, prompts, score, args.new_tokens, loop.cfg.trainer, args.precision
    )
    vs_plain = interleaved(rounds, {"ours": ours, "plain": plain.step})
    out = {
        "ours_s": median(times["ours"][1:]),
        "plain_s": median(vs_plain["plain"][1:]),
        "ours_beside_plain_s": median(vs_plain["ours"][1:]),
        "trl_s": median(times.get("trl", [])[1:]),
        "ours_parts_s": {k: median([p[k] for p in parts[1:rounds]]) for k in parts[0]},
        "samples_s": {**times, "ours_beside_plain": vs_plain["ours"], "plain": vs_plain["plain"]},
        "peak_rss_gb": {"ours_and_trl": peak_trl, "then_ours_and_plain": peak_rss_gb()},
        "trl_config": trl_cfg,
    }
    return out, batch


# ---- 4. GRPO vs TRL GRPOTrainer ----------------------------------------------------------------
def bench_grpo(args, trl: bool, tmp: str) -> dict[str, Any]:
    """Seconds per GRPO step, ours and TRL's, interleaved round by round (round 1 dropped)."""
    from common.data.formatting import format_prompt
    from drbo.trainer import PolicyGradientLoop
    from experiments.compose import compose_config

    rounds, n = args.steps + 1, args.grpo_n
    cfg = compose_config(
        "+exp=shopping_mmlu",
        "trainer=grpo",
        f"trainer.n_samples={n}",
        f"model.name_or_path={args.model}",
        f"model.precision={args.precision}",
        f"trainer.steps={rounds}",
        f"trainer.batch_size={args.prompts}",
        "trainer.standardize_k=8",
        *QUIET_RUN,
        output_dir=tmp,
    )
    for task in cfg.dataset.max_new_tokens:
        cfg.dataset.max_new_tokens[task] = args.new_tokens
    loop = PolicyGradientLoop(cfg, tmp)
    loop.prepare()
    _gen_tokens(loop.policy, args.new_tokens)
    batch = loop.batch_for(1)
    prompts = [format_prompt(loop.tokenizer, ex.prompt) for ex in batch]
    score = mixed_reward(loop, batch)
    tr = loop.cfg.trainer
    counter = iter(range(1, 10**9))
    parts: list[dict] = []

    def ours() -> None:
        fig = loop.train_step(next(counter), batch)
        parts.append({k[5:-2]: v for k, v in fig.items() if k.startswith("time/")})

    trainer, trl_cfg = None, None
    if trl:
        from datasets import Dataset
        from trl import GRPOConfig, GRPOTrainer

        def reward_func(prompts, completions, row, **kw):
            return score(completions, row)

        with single_process_env():
            config = GRPOConfig(
                **_trl_common(
                    os.path.join(tmp, "grpo"),
                    rounds,
                    args.trl_gradient_checkpointing,
                    args.precision,
                ),
                per_device_train_batch_size=n * len(prompts),
                num_generations=n,
                max_completion_length=args.new_tokens,
                generation_kwargs={"min_new_tokens": args.new_tokens},
                beta=float(tr.kl_coef),
                temperature=float(tr.temperature),
                top_p=float(tr.top_p),
                loss_type="grpo",
                num_iterations=1,
                learning_rate=float(tr.lr),
            )
            data = Dataset.from_list([{"prompt": p, "row": i} for i, p in enumerate(prompts)])
            trainer = GRPOTrainer(
                model=_model_source(args.model, tmp),
                reward_funcs=reward_func,
                args=config,
                train_dataset=data,
                processing_class=copy.deepcopy(loop.tokenizer),
            )
        trl_cfg = {
            "num_generations": config.num_generations,
            "per_device_train_batch_size": config.per_device_train_batch_size,
            "beta": config.beta,
            "loss_type": config.loss_type,
            "scale_rewards": str(config.scale_rewards),
            "gradient_checkpointing": config.gradient_checkpointing,
            "distributed_type": check_single_process(trainer),
        }
    times = interleaved(rounds, {"ours": ours}, trainer)
    ours_s, trl_s = median(times["ours"][1:]), median(times.get("trl", [])[1:])
    r = ratio(ours_s, trl_s)
    return {
        "settings": {
            "model": args.model,
            "prompts": args.prompts,
            "n_samples": n,
            "new_tokens": args.new_tokens,
            "steps_measured": args.steps,
            "threads": args.threads,
        },
        "ours_s": ours_s,
        "trl_s": trl_s,
        "ours_parts_s": {k: median([p[k] for p in parts[1:]]) for k in parts[0]},
        "samples_s": times,
        "trl_config": trl_cfg,
        "ratio": r,
        "verdict": verdict(r, TARGETS["grpo_vs_trl_grpo"]),
        "peak_rss_gb": peak_rss_gb(),
    }


def print_grpo(g: dict[str, Any]) -> None:
    s = g["settings"]
    print(
        f"GRPO on {s['model']}: {s['prompts']} prompts x {s['n_samples']} samples, "
        f"{s['new_tokens']} new tokens, median of {s['steps_measured']} steps after 1 warm-up"
    )
    for name, v in (
        ("GRPO step (ours: PolicyGradientLoop)", g["ours_s"]),
        ("TRL GRPOTrainer", g["trl_s"]),
    ):
        print(f"{name:<48}{'-' if v is None else f'{v:.2f}':>10}")
    print("ours GRPO parts: " + ", ".join(f"{k} {v:.2f}" for k, v in g["ours_parts_s"].items()))
    print(f"{LABELS['grpo_vs_trl_grpo']}: {g['verdict']}")


# ---- 2. DPO ---------------------------------------------------------------------------------------
def laser_loop(args, tmp: str):
    from experiments.compose import compose_config
    from laser.trainer import LaserLoop

    cfg = compose_config(
        "+exp=instruct_laser",
        f"model.name_or_path={args.model}",
        f"model.precision={args.precision}",
        f"trainer.steps={args.steps + 1}",
        f"trainer.batch_size={args.prompts}",
        "trainer.n_samples=2",
        "trainer.pairs_per_prompt=1",
        "trainer.loss=dpo",
        "trainer.steps_per_iteration=1000000",
        *QUIET_RUN,
        output_dir=tmp,
    )
    return LaserLoop(cfg, tmp)


def fixed_pairs(loop, batch, new_tokens: int):
    """(prompts, chosen, rejected texts, Rollout of 2 rows per prompt: chosen then rejected)."""
    import torch

    from common.data.formatting import format_prompt
    from common.generation.rollout import Rollout, generate

    tok = loop.tokenizer
    prompts = [format_prompt(tok, ex.prompt) for ex in batch]
    _gen_tokens(loop.policy, new_tokens)
    texts = generate(loop.policy, tok, prompts, new_tokens, num_return_sequences=2).texts
    loop.policy.generation_config.min_new_tokens = None
    chosen, rejected = texts[0::2], texts[1::2]
    rows = [preference_ids(tok, p, c, r) for p, c, r in zip(prompts, chosen, rejected, strict=True)]
    P = max(len(p) for p, _, _ in rows)
    T = max(max(len(c), len(r)) for _, c, r in rows)
    pad = tok.pad_token_id
    pid, pmask, rid, rmask = [], [], [], []
    for p, c, r in rows:
        for comp in (c, r):
            pid.append([pad] * (P - len(p)) + p)
            pmask.append([0] * (P - len(p)) + [1] * len(p))
            rid.append(comp + [pad] * (T - len(comp)))
            rmask.append([1] * len(comp) + [0] * (T - len(comp)))
    t = lambda x: torch.tensor(x, dtype=torch.long)  # noqa: E731
    rollout = Rollout(
        t(pid),
        t(pmask),
        t(rid),
        t(rmask),
        [x for pair in zip(chosen, rejected, strict=True) for x in pair],
    )
    return prompts, chosen, rejected, rows, rollout


def fixed_table(table_cls, names, scores):
    """A ``ScoreTable`` of given (B, N) scores, every cell applicable, nothing failed."""
    import numpy as np

    mask = np.ones_like(scores, dtype=bool)
    known = {"names": list(names), "scores": scores, "mask": mask}
    filler = {"parse_failed": np.zeros_like(mask)}
    return table_cls(
        **{f.name: known.get(f.name, filler.get(f.name, {})) for f in dataclasses.fields(table_cls)}
    )


def bench_dpo(args, trl: bool, tmp: str, batch) -> dict[str, Any]:
    import numpy as np

    from common.rewards.reward_set import ScoreTable

    rounds = args.steps + 1
    loop = laser_loop(args, tmp)
    prompts, chosen, rejected, rows, rollout = fixed_pairs(loop, batch, args.new_tokens)
    names = loop.reward_set.names
    prefer_first = np.tile([[1.0], [0.0]], (len(prompts), len(names)))  # chosen rows score 1
    table = fixed_table(ScoreTable, names, prefer_first)
    loop.rollout_batch = lambda *a, **kw: rollout
    loop.reward_set.score = lambda *a, **kw: table
    parts: list[dict] = []
    counter = iter(range(1, 10**9))

    def ours() -> None:
        fig = loop.train_step(next(counter), batch)
        if fig.get("pairs") != len(prompts):
            raise RuntimeError(f"expected {len(prompts)} pairs, got {fig.get('pairs')}")
        p = {k[5:-2]: v for k, v in fig.items() if k.startswith("time/")}
        p["train"] = p["fwd_bwd"] + p["optimizer"]  # reference + policy fwd/bwd + step
        parts.append(p)

    trainer, trl_cfg = None, None
    if trl:
        from datasets import Dataset
        from peft import LoraConfig
        from trl import DPOConfig, DPOTrainer

        lora = loop.cfg.model.lora
        with single_process_env():
            config = DPOConfig(
                **_trl_common(
                    os.path.join(tmp, "dpo"),
                    rounds,
                    args.trl_gradient_checkpointing,
                    args.precision,
                ),
                per_device_train_batch_size=len(prompts),
            )
            data = Dataset.from_list(
                [
                    {"prompt": p, "chosen": c, "rejected": r}
                    for p, c, r in zip(prompts, chosen, rejected, strict=True)
                ]
            )
            trainer = DPOTrainer(
                model=_model_source(args.model, tmp),
                args=config,
                train_dataset=data,
                processing_class=copy.deepcopy(loop.tokenizer),  # TRL may reconfigure it
                peft_config=LoraConfig(
                    r=int(lora.r),
                    lora_alpha=int(lora.alpha),
                    lora_dropout=float(lora.dropout),
                    target_modules=lora.target_modules,
                    task_type="CAUSAL_LM",
                ),
            )
        theirs = [
            (x["prompt_ids"], x["chosen_ids"], x["rejected_ids"]) for x in trainer.train_dataset
        ]
        trl_cfg = {
            "per_device_train_batch_size": config.per_device_train_batch_size,
            "beta": config.beta,
            "loss_type": list(config.loss_type),
            "precompute_ref_log_probs": config.precompute_ref_log_probs,
            "gradient_checkpointing": config.gradient_checkpointing,
            "distributed_type": check_single_process(trainer),
            "same_token_ids": theirs == [tuple(r) for r in rows],
        }
    times = interleaved(rounds, {"ours": ours}, trainer)
    steady = parts[1:]
    out = {
        "ours_train_s": median([p["train"] for p in steady]),
        "ours_step_minus_generation_s": median(
            [p["context"] + p["mixer"] + p["train"] for p in steady]
        ),
        "ours_call_s": median(times["ours"][1:]),
        "trl_s": median(times.get("trl", [])[1:]),
        "ours_parts_s": {k: median([p[k] for p in steady]) for k in steady[0]},
        "pairs": len(prompts),
        "completion_tokens": [len(c) for _, c, _ in rows] + [len(r) for _, _, r in rows],
        "samples_s": {**times, "ours_train": [p["train"] for p in parts]},
        "peak_rss_gb": peak_rss_gb(),
        "trl_config": trl_cfg,
    }
    return out


# ---- report --------------------------------------------------------------------------------------
def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in ("torch", "transformers", "peft", "deepspeed", "accelerate", "trl"):
        try:
            out[name] = importlib.import_module(name).__version__
        except ImportError:
            out[name] = None
    return out


def measure(args, trl: bool) -> dict[str, Any]:
    """Both comparisons (the heavy part): {"remax": ..., "dpo": ...}."""
    with tempfile.TemporaryDirectory() as tmp:
        remax, batch = bench_remax(args, trl, tmp)
        gc.collect()  # the ReMax phase's policies, references and optimizers go first
        dpo = bench_dpo(args, trl, tmp, batch)
    return {"remax": remax, "dpo": dpo}


def report(measured: dict[str, Any], trl: str | None, args, bench_s: float) -> dict[str, Any]:
    import torch

    remax, dpo = measured["remax"], measured["dpo"]
    ratios = {
        "remax_vs_rloo": ratio(remax["ours_s"], remax["trl_s"]),
        "dpo_vs_trl_dpo": ratio(dpo["ours_train_s"], dpo["trl_s"]),
    }
    return {
        "settings": {
            "model": args.model,
            "prompts": args.prompts,
            "new_tokens": args.new_tokens,
            "steps_measured": args.steps,
            "warmup_steps": 1,
            "trl_gradient_checkpointing": args.trl_gradient_checkpointing,
            "threads": args.threads,
            "precision": args.precision,
        },
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "note": "shared machine: figures are indicative",
        },
        "versions": versions(),
        "trl": None
        if trl is None
        else {
            "version": trl,
            "rloo_s": remax["trl_s"],
            "dpo_s": dpo["trl_s"],
            "rloo_config": remax["trl_config"],
            "dpo_config": dpo["trl_config"],
        },
        "seconds_per_step": {
            "remax_ours": remax["ours_s"],
            "rloo_trl": remax["trl_s"],
            "remax_plain": remax["plain_s"],
            "dpo_ours_train": dpo["ours_train_s"],
            "dpo_ours_step_minus_generation": dpo["ours_step_minus_generation_s"],
            "dpo_trl": dpo["trl_s"],
        },
        "remax_parts_s": remax["ours_parts_s"],
        "remax_ours_beside_plain_s": remax["ours_beside_plain_s"],
        "peak_rss_gb": {"remax": remax["peak_rss_gb"], "dpo": dpo["peak_rss_gb"]},
        "laser_parts_s": dpo["ours_parts_s"],
        "dpo_completion_tokens": dpo["completion_tokens"],
        "ratios": ratios,
        "targets": TARGETS,
        "verdicts": {k: verdict(r, TARGETS[k]) for k, r in ratios.items()},
        "samples_s": {"remax": remax["samples_s"], "dpo": dpo["samples_s"]},
        "bench_s": round(bench_s, 1),
    }


def print_report(res: dict[str, Any]) -> None:
    s, st = res["settings"], res["seconds_per_step"]
    print(
        f"Peers on {s['model']}: {s['prompts']} prompts, {s['new_tokens']} new tokens, "
        f"median of {s['steps_measured']} steps after 1 warm-up"
    )
    rows = [
        ("ReMax step (ours: PolicyGradientLoop.train_step)", st["remax_ours"]),
        ("TRL RLOOTrainer step (2 generations/prompt)", st["rloo_trl"]),
        ("plain hand-written ReMax step", st["remax_plain"]),
        ("  ours, timed beside the plain step", res["remax_ours_beside_plain_s"]),
        ("DPO training part (ours: LaserLoop, pairs)", st["dpo_ours_train"]),
        ("  LASeR step minus generation and scoring", st["dpo_ours_step_minus_generation"]),
        ("TRL DPOTrainer step (same pairs)", st["dpo_trl"]),
    ]
    print(f"{'step':<48}{'s/step':>10}")
    for name, v in rows:
        print(f"{name:<48}{'-' if v is None else f'{v:.2f}':>10}")
    parts = res["remax_parts_s"]
    print("ours ReMax parts: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
    print(f"peak resident memory: {res['peak_rss_gb']}")
    if res["trl"] is None:
        print(TRL_MISSING)
    for key, line in res["verdicts"].items():
        print(f"{LABELS[key]}: {line}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3, help="measured steps (after 1 warm-up)")
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--model", default="default")
    ap.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "bf16"],
        help="every side's compute precision (auto: bf16 where the CPU runs it fast)",
    )
    ap.add_argument(
        "--trl-gradient-checkpointing",
        action="store_true",
        help="keep TRL's default gradient checkpointing (ours runs without it)",
    )
    ap.add_argument("--grpo", action="store_true", help="also GRPO vs TRL GRPOTrainer")
    ap.add_argument("--grpo-only", action="store_true", help="only GRPO vs TRL GRPOTrainer")
    ap.add_argument("--grpo-n", type=int, default=4, help="GRPO samples per prompt")
    add_threads_option(ap)
    args = ap.parse_args(argv)
    apply_threads(args.threads)
    from common.models.precision import resolve_precision

    args.precision = resolve_precision(args.precision)  # one concrete precision for all sides
    if args.steps < 1 or args.prompts < 1 or args.new_tokens < 1 or args.grpo_n < 2:
        ap.error("--steps, --prompts and --new-tokens must be >= 1, --grpo-n >= 2")
    trl = trl_version()
    if trl is None:
        print(TRL_MISSING)
    RESULTS.mkdir(exist_ok=True)
    if args.grpo_only:
        with tempfile.TemporaryDirectory() as tmp:
            g = bench_grpo(args, trl is not None, tmp)
        g["versions"] = versions()
        print_grpo(g)
        (RESULTS / "peers_grpo.json").write_text(json.dumps(g, indent=2))
        return
    t0 = time.perf_counter()
    res = report(measure(args, trl is not None), trl, args, time.perf_counter() - t0)
    print_report(res)
    if args.grpo:
        with tempfile.TemporaryDirectory() as tmp:
            res["grpo"] = bench_grpo(args, trl is not None, tmp)
        print_grpo(res["grpo"])
    (RESULTS / "peers.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
