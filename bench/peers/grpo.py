"""GRPO vs TRL GRPOTrainer.

``--grpo`` (also) / ``--grpo-only``: GRPO. Ours: ``PolicyGradientLoop.train_step`` (``trainer=grpo``,
``--grpo-n`` samples per prompt, k3 KL 0.04 to the reference, one update per rollout).
TRL: ``GRPOTrainer`` on the same work: the same prompts x ``--grpo-n`` generations per
optimizer step, beta = our ``kl_coef`` (so both run a reference forward), the same
temperature/top-p, loss_type ``grpo``, group std scaling, one iteration per generation,
rewarded by our reward set as in ``rloo.py``. Target: ours <= 1.0 x TRL. Written to
``bench/results/peers_grpo.json`` with ``--grpo-only``, else inside ``peers.json``.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from bench.harness import QUIET_RUN, median_or_none
from bench.peers.common import (
    LABELS,
    TARGETS,
    check_single_process,
    gen_tokens,
    interleaved,
    mixed_reward,
    model_source,
    peak_rss_gb,
    ratio,
    ratio_verdict,
    single_process_env,
    trl_common,
)


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
    gen_tokens(loop.policy, args.new_tokens)
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
                **trl_common(
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
                model=model_source(args.model, tmp),
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
    ours_s, trl_s = median_or_none(times["ours"][1:]), median_or_none(times.get("trl", [])[1:])
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
        "ours_parts_s": {k: median_or_none([p[k] for p in parts[1:]]) for k in parts[0]},
        "samples_s": times,
        "trl_config": trl_cfg,
        "ratio": r,
        "verdict": ratio_verdict(r, TARGETS["grpo_vs_trl_grpo"]),
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
