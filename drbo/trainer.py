"""DRBO: standardized metric rewards, re-balanced weights, ReMax updates on a DeepSpeed engine.

Per step t (Algorithm 1 of the DRBO paper):
    1. the balancer gives weights w (N,) and samples a metric j (line 5);
    2. multi-type data (``rewards.routing=by_example``): the batch is drawn from metric j's
       training rows; single-task data: any training rows;
    3. one sampled and one greedy response per prompt; both scored by every applicable
       metric, standardized with the mean/std of K samples of the untrained policy;
    4. R = weighted mean of the standardized rewards (common.mixing.mix_rewards);
    5. ReMax: A = clip(R(sample) - R(greedy)), per-token KL to the reference, discounted
       returns, policy-gradient loss; one optimizer step;
    6. the balancer folds in the batch's mean standardized reward per metric.
"""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from common.context import prompt_context
from common.data.formatting import format_prompt
from common.data.types import Example
from common.distributed import all_gather_object, is_main, rank, world_size
from common.engine_loop import EngineLoop
from common.mixing import Feedback, MixDecision, mix_rewards
from common.rewards.reward_set import ScoreTable
from common.rollout import Rollout, rollout_logprobs, sequence_logprobs
from drbo.remax import approx_kl, discounted_returns, remax_advantage, remax_loss, token_rewards
from drbo.standardize import RewardStandardizer


class ReMaxLoop(EngineLoop):
    method = "drbo"

    def __init__(self, cfg, run_dir) -> None:
        super().__init__(cfg, run_dir)
        tr = cfg.trainer
        self.standardizer = RewardStandardizer(self.reward_set.names, eps=tr.standardize_eps)
        self.pools = {
            m: [ex for ex in self.train_examples if ex.metric == m] for m in self.reward_set.names
        }
        self.multi_type = self.reward_set.routing == "by_example"
        self._decision: MixDecision | None = None
        self._context: np.ndarray | None = None

    # ---- data: the sampled metric chooses the task (multi-type) ---------------------------
    def next_batch(self, step: int) -> list[Example]:
        self._context = None
        if self.mixer.needs_context:
            # A contextual bandit decides from the batch, so the batch comes first: any
            # training rows; with one-hot weights only the chosen metric's rows get reward.
            batch = self.batch_for(step)
            prompts = [format_prompt(self.tokenizer, ex.prompt) for ex in batch]
            self._context = prompt_context(
                self.model, self.tokenizer, prompts, self.cfg.trainer.get("context", "mean_hidden")
            )
            self._decision = self.mixer.decide(step, self._context)
            return batch
        self._decision = self.mixer.decide(step)
        if self.multi_type and self._decision.arm is not None:
            metric = self.reward_set.names[self._decision.arm]
            return self.batch_for(step, self.pools[metric])
        return self.batch_for(step)

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
        decision = self._decision if self._decision is not None else self.mixer.decide(step)
        timings: dict[str, float] = {}

        t0 = time.perf_counter()
        sampled = self.rollout_batch(batch, do_sample=True)
        greedy = self.rollout_batch(batch, do_sample=False)
        timings["time/generate_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        table_s = self._score(batch, sampled.texts, step)
        table_g = self._score(batch, greedy.texts, step)
        scaled_s = np.where(table_s.mask, self.standardizer.transform(table_s.scores), 0.0)
        scaled_g = np.where(table_g.mask, self.standardizer.transform(table_g.scores), 0.0)
        r_sample = mix_rewards(scaled_s, table_s.mask, decision.weights)
        r_greedy = mix_rewards(scaled_g, table_g.mask, decision.weights)
        timings["time/reward_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        device = self.engine.device
        mask = sampled.response_mask.to(device)
        self.engine.engine.train()
        logp = rollout_logprobs(self.engine, _to(sampled, device))
        with torch.no_grad(), self.reference.model(self.engine.module) as ref:
            logp_ref = sequence_logprobs(
                ref,
                sampled.input_ids.to(device),
                sampled.attention_mask.to(device),
                sampled.response_ids.shape[1],
            )
        adv = remax_advantage(
            torch.as_tensor(r_sample, dtype=torch.float32),
            torch.as_tensor(r_greedy, dtype=torch.float32),
            clip=tr.adv_clip,
        ).to(device)
        rewards = token_rewards(adv, logp.detach(), logp_ref, mask, kl_coef=tr.kl_coef)
        returns = discounted_returns(rewards, mask.to(rewards.dtype), gamma=tr.gamma)
        loss = remax_loss(logp, returns, mask)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"step {step}: loss is {loss.item()} (rewards {r_sample.tolist()}); stopping "
                "before the optimizer step, the last checkpoint is intact"
            )
        self.engine.backward(loss)
        timings["time/fwd_bwd_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        lr = self.engine.get_lr()
        self.engine.step()
        timings["time/optimizer_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        means = _global_means(scaled_s, table_s.mask, table_s.names)
        self.mixer.update(
            Feedback(
                step=step,
                arm=decision.arm,
                source_rewards=means,
                scalar=self.mab_feedback(float(loss.item())),
                context=self._context,
            )
        )
        timings["time/balance_s"] = time.perf_counter() - t0

        figures: dict[str, Any] = table_s.log_dict()
        figures.update({f"scaled/{m}": v for m, v in means.items()})
        figures.update(
            {
                f"weight/{m}": float(w)
                for m, w in zip(self.reward_set.names, decision.weights, strict=True)
            }
        )
        figures.update({f"greedy_reward/{m}": v for m, v in table_g.metric_means().items()})
        n_tokens = sampled.num_response_tokens + greedy.num_response_tokens
        figures.update(
            loss=float(loss.item()),
            kl=float(approx_kl(logp.detach(), logp_ref, mask).item()),
            reward=float(r_sample.mean()),
            advantage=float(adv.mean().item()),
            lr=lr,
            tokens_per_s=n_tokens / max(timings["time/generate_s"], 1e-9),
            **timings,
        )
        if decision.arm is not None:
            figures["arm"] = self.reward_set.names[decision.arm]
        self._decision = None
        return figures

    def extra_state(self) -> dict[str, Any]:
        return {**super().extra_state(), "standardizer": self.standardizer.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        super().load_extra_state(state)
        self.standardizer.load_state_dict(state["standardizer"])


def _global_means(scaled: np.ndarray, mask: np.ndarray, names: list[str]) -> dict[str, float]:
    """Mean scaled reward per metric over every rank's batch (B, N) -> {metric: mean}; metrics
    no rank scored are left out. Gathered so all ranks feed their balancer the same value."""
    local = {
        m: (float(scaled[mask[:, j], j].sum()), int(mask[:, j].sum())) for j, m in enumerate(names)
    }
    totals: dict[str, list[float]] = {m: [0.0, 0] for m in names}
    for part in all_gather_object(local):
        for m, (total, count) in part.items():
            totals[m][0] += total
            totals[m][1] += count
    return {m: t / c for m, (t, c) in totals.items() if c > 0}


def _to(r: Rollout, device) -> Rollout:
    return Rollout(
        r.prompt_ids.to(device),
        r.prompt_mask.to(device),
        r.response_ids.to(device),
        r.response_mask.to(device),
        r.texts,
        r.seconds,
    )
