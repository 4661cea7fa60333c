"""DPO vs TRL DPOTrainer.

DPO. Ours: the training part of ``LaserLoop.train_step`` (``+exp=instruct_laser``: loss
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
"""

from __future__ import annotations

import copy
import dataclasses
import os
from typing import Any

from bench.harness import QUIET_RUN, median_or_none
from bench.peers.common import (
    check_single_process,
    gen_tokens,
    interleaved,
    model_source,
    peak_rss_gb,
    single_process_env,
    trl_common,
)


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
    gen_tokens(loop.policy, new_tokens)
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
                **trl_common(
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
                model=model_source(args.model, tmp),
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
        "ours_train_s": median_or_none([p["train"] for p in steady]),
        "ours_step_minus_generation_s": median_or_none(
            [p["context"] + p["mixer"] + p["train"] for p in steady]
        ),
        "ours_call_s": median_or_none(times["ours"][1:]),
        "trl_s": median_or_none(times.get("trl", [])[1:]),
        "ours_parts_s": {k: median_or_none([p[k] for p in steady]) for k in steady[0]},
        "pairs": len(prompts),
        "completion_tokens": [len(c) for _, c, _ in rows] + [len(r) for _, _, r in rows],
        "samples_s": {**times, "ours_train": [p["train"] for p in parts]},
        "peak_rss_gb": peak_rss_gb(),
        "trl_config": trl_cfg,
    }
    return out
