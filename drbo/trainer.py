"""DRBO: standardized metric rewards, re-balanced weights, ReMax updates on a DeepSpeed engine.

Per step t (Algorithm 1 of the DRBO paper), the mixing parts done by the one reward step
(:class:`common.mixers.step.RewardStep`):
    1. the balancer gives weights w (N,) and samples a metric j (line 5);
    2. multi-type data (``rewards.routing=by_example`` or ``listed``): the batch is drawn
       from the training rows metric j applies to, or, for a mixer that samples no metric,
       each row's task is drawn from w (:func:`common.mixers.decision.rows_per_source`);
       single-task data: any training rows;
    3. one sampled and one greedy response per prompt; both scored by the chosen metrics,
       standardized with the mean/std of K samples of the untrained policy;
    4. R = weighted mean of the standardized rewards (common.mixers.mix_rewards);
    5. ReMax: A = clip(R(sample) - R(greedy)), per-token KL to the reference, discounted
       returns, policy-gradient loss; one optimizer step;
    6. the balancer folds in every rank's mean standardized reward per metric.
"""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from common.data.formatting import format_prompt
from common.data.types import Example
from common.generation.batch import Rollout
from common.generation.logprobs import rollout_logprobs
from common.mixers.step import StepDecision, rows_per_source
from common.rewards.reward_set import ScoreTable
from common.rundir.distributed import all_gather_object, is_main, rank, world_size
from common.training.engine_loop import EngineLoop
from drbo.remax import approx_kl, discounted_returns, remax_advantage, remax_loss, token_rewards
from drbo.standardize import RewardStandardizer
from drbo.weight_monitor import build_weight_monitor


class ReMaxLoop(EngineLoop):
    method = "drbo"

    def __init__(self, cfg, run_dir) -> None:
        super().__init__(cfg, run_dir)
        tr = cfg.trainer
        self.standardizer = RewardStandardizer.from_config(self.reward_set.names, tr)
        self.weight_monitor = build_weight_monitor(cfg.balancer, self.reward_set.names)
        self.pools = {
            m: [ex for ex in self.train_examples if m in self.reward_set.applicable(ex)]
            for m in self.reward_set.names
        }
        self.multi_type = self.reward_set.routing in ("by_example", "listed")
        self.rewards.transform = self.standardizer.transform
        self._decision: StepDecision | None = None

    # ---- data: in multi-type runs the weights choose the tasks -------------------------------
    def next_batch(self, step: int) -> list[Example]:
        if not self.rewards.decides_before_data:
            # A contextual bandit (or a per-query mixer) decides from the batch, so the batch
            # comes first: any training rows; with one-hot weights only the chosen metric's
            # rows get reward.
            batch = self.batch_for(step)
            self._decision = self.rewards.decide(step, self._prompts(batch))
            return batch
        self._decision = decision = self.rewards.decide(step)
        if not self.multi_type:
            return self.batch_for(step)
        # Weights act on multi-type data through the rows drawn (rows_per_source), for every
        # mixer: the sampled metric's task, else each row's task drawn from the weights.
        rng = np.random.default_rng([int(self.cfg.seed), step, rank()])
        counts = rows_per_source(decision.weights, decision.arm, self.cfg.trainer.batch_size, rng)
        decision.arm_chose_data = decision.arm is not None
        batch: list[Example] = []
        for metric, k in zip(self.reward_set.names, counts, strict=True):
            if k:
                batch += self._draw(step, self.pools[metric], int(k), metric)
        return batch

    def _draw(self, step: int, pool: list[Example], k: int, metric: str) -> list[Example]:
        """``k`` rows of ``pool`` without replacement, seeded by (seed, step, rank, metric)."""
        if len(pool) < k:
            raise ValueError(
                f"step {step}: {k} rows of metric {metric!r} requested, its task has {len(pool)}"
            )
        seed = (int(self.cfg.seed) * 1_000_003 + step) * 1_009 + rank()
        return random.Random(f"{seed}:{metric}").sample(pool, k)

    def _prompts(self, batch: list[Example]) -> list[str]:
        return [format_prompt(self.tokenizer, ex.prompt) for ex in batch]

    # ---- standardization statistics (Eq. 3) ----------------------------------------------
    def prepare(self) -> None:
        if not self.standardizer.fitted:
            self.fit_standardizer()

    def fit_standardizer(self) -> None:
        """Mean/std per metric from K sampled responses of the untrained policy (K split
        evenly over metrics for multi-type data)."""
        tr = self.cfg.trainer
        K = int(tr.standardize_k)
        rng = random.Random(int(self.cfg.seed))
        if self.multi_type:
            per = max(2, K // len(self.reward_set.names))
            rows = [ex for m, pool in self.pools.items() for ex in rng.choices(pool, k=per)]
        else:
            rows = rng.choices(self.train_examples, k=K)
        rows = rows[rank() :: world_size()]  # ranks share the K samples
        samples: dict[str, list[float]] = {m: [] for m in self.reward_set.names}
        bs = int(tr.get("standardize_batch_size", 16))
        rows.sort(key=self.budget_of)  # equal budgets share batches
        for s in tqdm(
            range(0, len(rows), bs),
            desc="reward statistics (K samples)",
            leave=False,
            disable=not is_main(),
        ):
            chunk = rows[s : s + bs]
            table = self._score(chunk, self.rollout_batch(chunk, do_sample=True).texts)
            for j, m in enumerate(table.names):
                samples[m].extend(table.scores[table.mask[:, j], j].tolist())
        merged: dict[str, list[float]] = {m: [] for m in samples}
        for part in all_gather_object(samples):  # every rank fits the same statistics
            for m, values in part.items():
                merged[m].extend(values)
        self.standardizer.fit(merged)

    # ---- one ReMax step ---------------------------------------------------------------------
    def _score(self, batch: list[Example], texts: list[str], step: int | None = None) -> ScoreTable:
        return self.reward_set.score(batch, texts, step=step)

    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        tr = self.cfg.trainer
        decision = self._decision
        if decision is None:  # train_step called without next_batch (benchmarks, tests)
            prompts = None if self.rewards.decides_before_data else self._prompts(batch)
            decision = self.rewards.decide(step, prompts)
        self._decision = None

        t0 = time.perf_counter()
        sampled, greedy = self.rollout_sampled_and_greedy(batch)  # one prefill per prompt
        t_generate = time.perf_counter() - t0

        r_sample = self.rewards.score(decision, batch, sampled.texts, step=step)
        r_greedy = self.rewards.score(decision, batch, greedy.texts, step=step)

        t0 = time.perf_counter()
        device = self.engine.device
        mask = sampled.response_mask.to(device)
        self.engine.engine.train()
        logp = rollout_logprobs(self.engine, _to(sampled, device))
        with torch.no_grad(), self.reference.model(self.engine.module) as ref:
            logp_ref = rollout_logprobs(ref, _to(sampled, device))  # the policy's path
        adv = remax_advantage(
            torch.as_tensor(r_sample.mixed, dtype=torch.float32),
            torch.as_tensor(r_greedy.mixed, dtype=torch.float32),
            clip=tr.adv_clip,
        ).to(device)
        rewards = token_rewards(adv, logp.detach(), logp_ref, mask, kl_coef=tr.kl_coef)
        returns = discounted_returns(rewards, mask.to(rewards.dtype), gamma=tr.gamma)
        loss = remax_loss(logp, returns, mask)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"step {step}: loss is {loss.item()} (rewards {r_sample.mixed.tolist()}); "
                "stopping before the optimizer step, the last checkpoint is intact"
            )
        self.engine.backward(loss)
        t_fwd_bwd = time.perf_counter() - t0
        t0 = time.perf_counter()
        lr = self.engine.get_lr()
        self.engine.step()
        t_optimizer = time.perf_counter() - t0

        if self.rewards.granularity == "query":  # each prompt's arm learns from its own row
            step_loss: Any = [
                float(remax_loss(logp[i : i + 1].detach(), returns[i : i + 1], mask[i : i + 1]))
                for i in range(len(batch))
            ]
        else:
            step_loss = float(loss.item())
        mab_reward = self.rewards.feedback(decision, r_sample, step_loss)

        figures = self.rewards.figures(decision, r_sample, mab_reward)
        figures.update({f"greedy_reward/{m}": v for m, v in r_greedy.table.metric_means().items()})
        figures.update(self.standardizer.log_dict())  # mean/<m>, std/<m> in use
        scaled = {k[len("scaled/") :]: v for k, v in figures.items() if k.startswith("scaled/")}
        figures.update(self.weight_monitor.observe(step, decision.weights, scaled))
        n_tokens = sampled.num_response_tokens + greedy.num_response_tokens
        figures.update(
            loss=float(loss.item()),
            kl=float(approx_kl(logp.detach(), logp_ref, mask).item()),
            advantage=float(adv.mean().item()),
            lr=lr,
            tokens_per_s=n_tokens / max(t_generate, 1e-9),
            **self.rewards.time_figures(
                generate_s=t_generate, fwd_bwd_s=t_fwd_bwd, optimizer_s=t_optimizer
            ),
        )
        return figures

    def extra_state(self) -> dict[str, Any]:
        return {**super().extra_state(), "standardizer": self.standardizer.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        super().load_extra_state(state)
        self.standardizer.load_state_dict(state["standardizer"])


def _to(r: Rollout, device) -> Rollout:
    return Rollout(
        r.prompt_ids.to(device),
        r.prompt_mask.to(device),
        r.response_ids.to(device),
        r.response_mask.to(device),
        r.texts,
        r.seconds,
    )
