"""The REINFORCE family on one loop: DRBO's ReMax, GRPO, Dr. GRPO and RLOO are presets
(``trainer=remax|grpo|rloo``) that choose an advantage estimator (``trainer.advantage``,
:data:`common.training.advantages.ADVANTAGES`) and a policy loss (``trainer.loss_type``,
:data:`common.training.losses.POLICY_LOSSES`); the maths is in those tables.

Per step t (Algorithm 1 of the DRBO paper for ReMax; the mixing parts done by the one reward
step, :class:`common.mixers.step.RewardStep`):
    1. the balancer gives weights w (N,) and samples a metric j (line 5);
    2. multi-type data (``rewards.routing=by_example`` or ``listed``): the batch is drawn
       from the training rows metric j applies to, or, for a mixer that samples no metric,
       each row's task is drawn from w (:func:`common.mixers.decision.rows_per_source`);
       single-task data: any training rows;
    3. n sampled responses per prompt (B = G * n rows, prompt-major); an estimator with a
       greedy baseline (ReMax) gets one sampled and one greedy response per prompt from one
       prefill; scored by the chosen metrics, standardized with the mean/std of K samples
       of the untrained policy (Eq. 3);
    4. R = the mixer's mix of the standardized rewards (common.mixers.mix_rewards);
    5. advantages from the (G, n) rewards by ``trainer.advantage``; the policy loss
       ``trainer.loss_type`` against the reference (KL, ``trainer.kl_coef``); every rank
       agrees the loss is finite before the backward (common.training.step_guard);
       ``trainer.updates_per_rollout`` optimizer steps on the same rollout;
    6. the mixer learns from the step (every rank's figures: an identical update).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from common.data.formatting import format_prompt
from common.data.types import Example
from common.generation.batch import Rollout
from common.generation.logprobs import rollout_logprobs
from common.mixers.step import StepDecision, StepRewards, rows_per_source
from common.rewards.reward_set import ScoreTable
from common.rundir.distributed import all_gather_object, is_main, rank, world_size
from common.training.advantages import ADVANTAGES
from common.training.engine_loop import EngineLoop
from common.training.losses import POLICY_LOSSES
from common.training.options import keyword_options, takes
from common.training.step_guard import agree_on_loss
from common.training.timing import StepTimes
from drbo.standardize import RewardStandardizer
from drbo.weight_monitor import build_weight_monitor

#: The method label (summary.json's ``method``, compare's rows) of each advantage estimator.
METHODS = {"remax": "drbo", "grpo": "grpo", "dr_grpo": "grpo", "rloo": "rloo"}


def table_choices(tr) -> tuple[str, str]:
    """(advantage, loss_type) of a trainer config; configs written before the tables (no
    ``trainer.advantage``) meant the estimator of their preset's name."""
    advantage = str(tr.advantage or tr.name)
    default_loss = "remax" if advantage == "remax" else "grpo"
    return advantage, str(tr.loss_type or default_loss)


class PolicyGradientLoop(EngineLoop):
    """``trainer=remax|grpo|rloo``: REINFORCE-family updates with the maths from tables."""

    method = "drbo"

    def __init__(self, cfg, run_dir) -> None:
        advantage, loss_type = table_choices(cfg.trainer)
        self.estimator = ADVANTAGES.get(advantage)
        self.policy_loss = POLICY_LOSSES.get(loss_type)
        if type(self).method == PolicyGradientLoop.method:  # a subclass's own label stands
            self.method = METHODS.get(advantage, advantage)  # before the tracker reads it
        super().__init__(cfg, run_dir)
        tr = cfg.trainer
        self.greedy_baseline = takes(self.estimator, "greedy")
        self.estimator_options = keyword_options(self.estimator, tr)
        self.loss_options = keyword_options(self.policy_loss, tr)
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
        bs = int(tr.standardize_batch_size)
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

    # ---- one step -------------------------------------------------------------------------
    def _score(self, batch: list[Example], texts: list[str], step: int | None = None) -> ScoreTable:
        return self.reward_set.score(batch, texts, step=step)

    def take_decision(self, step: int, batch: list[Example]) -> StepDecision:
        """The decision ``next_batch`` made for this step, or a new one when ``train_step``
        is called without it (benchmarks, tests)."""
        decision, self._decision = self._decision, None
        if decision is None:
            prompts = None if self.rewards.decides_before_data else self._prompts(batch)
            decision = self.rewards.decide(step, prompts)
        return decision

    def advantages(self, rewards: torch.Tensor, greedy: torch.Tensor | None = None) -> torch.Tensor:
        """(G, n) mixed rewards (and (G,) greedy rewards for a greedy baseline) -> (G * n,)."""
        extra = {} if greedy is None else {"greedy": greedy}
        return self.estimator(rewards, **extra, **self.estimator_options)

    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        tr = self.cfg.trainer
        n = 1 if self.greedy_baseline else int(tr.n_samples)
        updates = int(tr.updates_per_rollout)
        decision = self.take_decision(step, batch)
        times = StepTimes()

        with times.timed("generate"):
            if self.greedy_baseline:  # one prefill per prompt for both
                sampled, greedy = self.rollout_sampled_and_greedy(batch)
            else:
                sampled, greedy = self.rollout_batch(batch, do_sample=True, n=n), None
        rewards = self.rewards.score(decision, batch, sampled.texts, n=n, step=step)
        r_greedy = None
        if greedy is not None:
            r_greedy = self.rewards.score(decision, batch, greedy.texts, step=step)

        with times.timed("fwd_bwd"):
            device = self.engine.device
            rollout = _to(sampled, device)
            mask = rollout.response_mask
            baseline = None
            if r_greedy is not None:
                baseline = torch.as_tensor(r_greedy.mixed, dtype=torch.float32)
            adv = self.advantages(
                torch.as_tensor(rewards.per_prompt(), dtype=torch.float32), baseline
            )
            adv = adv.to(device)
            logp_ref = None
            if tr.kl_coef:
                with torch.no_grad(), self.reference.model(self.policy) as ref:
                    logp_ref = rollout_logprobs(ref, rollout)  # the policy's (shared-prompt) path
            self.engine.train()
        lr = self.engine.get_lr()  # the rate this step's first update uses
        logp_old = None
        losses: list[float] = []
        for _ in range(updates):
            with times.timed("fwd_bwd"):
                logp = rollout_logprobs(self.engine, rollout)
                if logp_old is None:  # the policy that sampled: pi_old = pi before any update
                    logp_old = logp.detach()
                loss, parts = self.policy_loss(
                    logp, logp_old, logp_ref, adv, mask, **self.loss_options
                )
                agree_on_loss(loss, step, detail=f"rewards {rewards.mixed.tolist()}")
                self.engine.backward(loss)
            with times.timed("optimizer"):
                self.engine.step()
            losses.append(float(loss.item()))

        step_loss = self._feedback_loss(losses[0], logp_old, logp_ref, adv, mask, n)
        mab_reward = self.rewards.feedback(decision, rewards, step_loss)
        return self._figures(step, decision, rewards, r_greedy, mab_reward, adv, times) | {
            **parts,
            "loss": losses[-1],
            "lr": lr,
            "tokens_per_s": (
                sampled.num_response_tokens + (greedy.num_response_tokens if greedy else 0)
            )
            / max(times.get("generate"), 1e-9),
            **self.rewards.time_figures(**times.seconds),
        }

    def _feedback_loss(self, loss, logp_old, logp_ref, adv, mask, n: int) -> Any:
        """What the mixer learns from: the loss of the rollout as sampled, or per query each
        prompt's own (its n rows under the sampling policy)."""
        if self.rewards.granularity != "query":
            return loss
        rows = [slice(i * n, (i + 1) * n) for i in range(adv.shape[0] // n)]
        with torch.no_grad():
            return [
                float(
                    self.policy_loss(
                        logp_old[r],
                        logp_old[r],
                        None if logp_ref is None else logp_ref[r],
                        adv[r],
                        mask[r],
                        **self.loss_options,
                    )[0]
                )  # fmt: skip
                for r in rows
            ]

    def _figures(self, step, decision, rewards: StepRewards, r_greedy, mab_reward, adv, times):
        """The mixer's, the standardizer's and the advantage's figures of one step."""
        figures = self.rewards.figures(decision, rewards, mab_reward)
        if r_greedy is not None:
            figures.update(
                {f"greedy_reward/{m}": v for m, v in r_greedy.table.metric_means().items()}
            )
        figures.update(self.standardizer.log_dict())  # mean/<m>, std/<m> in use
        scaled = {k[len("scaled/") :]: v for k, v in figures.items() if k.startswith("scaled/")}
        figures.update(self.weight_monitor.observe(step, decision.weights, scaled))
        figures.update(
            advantage=float(adv.mean().item()), advantage_abs=float(adv.abs().mean().item())
        )
        if rewards.n > 1:
            figures["reward_std_in_group"] = float(rewards.per_prompt().std(axis=1).mean())
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
