"""ReMax vs TRL RLOO (and vs the plain step).

ReMax vs RLOO. Ours: ``PolicyGradientLoop.train_step`` on a fixed batch (``+exp=shopping_mmlu``,
every task type's budget set to ``--new-tokens``, DeepSpeed ZeRO-0, no evaluation, no
logger): one sampled and one greedy response per prompt, reward scoring, reference
forward, policy forward/backward, optimizer step. TRL: ``RLOOTrainer`` with its defaults
(beta 0.05, so a reference model; num_generations 2), one optimizer step = the same
prompts x 2 sampled generations, rewarded by our reward set (the same scorers and
standardization, so scoring costs the same). Target: ours <= 0.6 x TRL.
"""

from __future__ import annotations

import copy
import gc
import os
from typing import Any

from bench.harness import QUIET_RUN, median_or_none
from bench.peers.common import (
    check_single_process,
    gen_tokens,
    interleaved,
    mixed_reward,
    model_source,
    peak_rss_gb,
    single_process_env,
    trl_common,
)
from bench.peers.plain import PlainReMax


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
    gen_tokens(loop.policy, args.new_tokens)
    return loop, loop.batch_for(1)


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
                **trl_common(
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
                model=model_source(args.model, tmp),
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
        "ours_s": median_or_none(times["ours"][1:]),
        "plain_s": median_or_none(vs_plain["plain"][1:]),
        "ours_beside_plain_s": median_or_none(vs_plain["ours"][1:]),
        "trl_s": median_or_none(times.get("trl", [])[1:]),
        "ours_parts_s": {k: median_or_none([p[k] for p in parts[1:rounds]]) for k in parts[0]},
        "samples_s": {**times, "ours_beside_plain": vs_plain["ours"], "plain": vs_plain["plain"]},
        "peak_rss_gb": {"ours_and_trl": peak_trl, "then_ours_and_plain": peak_rss_gb()},
        "trl_config": trl_cfg,
    }
    return out, batch
