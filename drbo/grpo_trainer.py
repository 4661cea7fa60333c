"""GRPO and RLOO on the DRBO loop: n samples per prompt, a group baseline instead of ReMax's
greedy one, every balancer and bandit deciding the per-sample reward.

Per step t (the maths is in :mod:`drbo.grpo`):
    1. the mixer decides (weights, or an arm) and the batch is drawn, exactly as in ReMax
       (:class:`drbo.trainer.ReMaxLoop.next_batch`; multi-type data drawn by the weights);
    2. n sampled responses per prompt through the shared rollout path (B = G * n rows,
       prompt-major; the n rows of a prompt run the prompt once in the forward);
    3. the one reward step scores them and mixes one reward per sample
       (:meth:`common.mixers.step.RewardStep.score`: DRBO's standardization, then
       ``balancer.normalize`` and conditioned rewards, then the mixer's weights);
    4. group advantages from the (G, n) mixed rewards: GRPO (std-normalized), Dr. GRPO
       (``trainer.scale_rewards=false``, ``trainer.loss_type=dr_grpo``) or RLOO
       (leave-one-out, :class:`RLOOLoop`);
    5. ``trainer.updates_per_rollout`` optimizer steps on the same rollout with the clipped
       importance ratio and the k3 KL to the reference;
    6. the mixer learns from the step (every rank, identical update).
"""

from __future__ import annotations

import time
from typing import Any

import torch

from common.generation.logprobs import rollout_logprobs
from drbo.grpo import clipped_surrogate_loss, group_advantages, leave_one_out_advantages
from drbo.trainer import ReMaxLoop, _to


class GRPOLoop(ReMaxLoop):
    """``trainer=grpo``: group-relative advantages (GRPO, or Dr. GRPO)."""

    method = "grpo"

    def advantages(self, rewards: torch.Tensor) -> torch.Tensor:
        """(G, n) mixed rewards -> (G * n,) advantages."""
        tr = self.cfg.trainer
        return group_advantages(
            rewards, scale_by_std=bool(tr.get("scale_rewards", True)), eps=tr.get("adv_eps", 1e-4)
        )

    def train_step(self, step: int, batch: list) -> dict[str, Any]:
        tr = self.cfg.trainer
        n = int(tr.n_samples)
        updates = int(tr.get("updates_per_rollout", 1))
        decision = self._decision
        if decision is None:  # train_step called without next_batch (benchmarks, tests)
            prompts = None if self.rewards.decides_before_data else self._prompts(batch)
            decision = self.rewards.decide(step, prompts)
        self._decision = None

        t0 = time.perf_counter()
        sampled = self.rollout_batch(batch, do_sample=True, n=n)
        t_generate = time.perf_counter() - t0
        rewards = self.rewards.score(decision, batch, sampled.texts, n=n, step=step)

        t0 = time.perf_counter()
        device = self.engine.device
        rollout = _to(sampled, device)
        mask = rollout.response_mask
        adv = self.advantages(torch.as_tensor(rewards.per_prompt(), dtype=torch.float32))
        adv = adv.to(device)
        logp_ref = None
        if tr.kl_coef:
            with torch.no_grad(), self.reference.model(self.engine.module) as ref:
                logp_ref = rollout_logprobs(ref, rollout)  # the policy's (shared-prompt) path
        self.engine.engine.train()
        t_optimizer = 0.0
        logp_old = None
        losses: list[float] = []
        for _ in range(updates):
            logp = rollout_logprobs(self.engine, rollout)
            if logp_old is None:  # the policy that sampled: pi_old = pi before any update
                logp_old = logp.detach()
            loss, parts = clipped_surrogate_loss(
                logp,
                logp_old,
                logp_ref,
                adv,
                mask,
                clip_low=float(tr.clip_eps),
                clip_high=float(tr.get("clip_eps_high") or tr.clip_eps),
                kl_coef=float(tr.kl_coef),
                loss_type=str(tr.loss_type),
            )
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"step {step}: loss is {loss.item()} (rewards {rewards.mixed.tolist()}); "
                    "stopping before the optimizer step, the last checkpoint is intact"
                )
            self.engine.backward(loss)
            t2 = time.perf_counter()
            self.engine.step()
            t_optimizer += time.perf_counter() - t2
            losses.append(float(loss.item()))
        t_fwd_bwd = time.perf_counter() - t0 - t_optimizer

        if self.rewards.granularity == "query":  # each prompt's arm learns from its own rows
            with torch.no_grad():
                step_loss: Any = [
                    float(
                        clipped_surrogate_loss(
                            logp_old[i * n : (i + 1) * n],
                            logp_old[i * n : (i + 1) * n],
                            None if logp_ref is None else logp_ref[i * n : (i + 1) * n],
                            adv[i * n : (i + 1) * n],
                            mask[i * n : (i + 1) * n],
                            kl_coef=float(tr.kl_coef),
                            loss_type=str(tr.loss_type),
                        )[0]
                    )
                    for i in range(len(batch))
                ]
        else:
            step_loss = losses[0]  # the loss of the rollout as sampled, like ReMax's
        mab_reward = self.rewards.feedback(decision, rewards, step_loss)

        figures = self.rewards.figures(decision, rewards, mab_reward)
        figures.update(
            loss=losses[-1],
            kl=parts["kl"],
            clip_fraction=parts["clip_fraction"],
            advantage_abs=float(adv.abs().mean().item()),
            reward_std_in_group=float(rewards.per_prompt().std(axis=1).mean()),
            lr=self.engine.get_lr(),
            tokens_per_s=sampled.num_response_tokens / max(t_generate, 1e-9),
            **self.rewards.time_figures(
                generate_s=t_generate, fwd_bwd_s=t_fwd_bwd, optimizer_s=t_optimizer
            ),
        )
        return figures


class RLOOLoop(GRPOLoop):
    """``trainer=rloo``: the leave-one-out baseline over the n samples of a prompt."""

    method = "rloo"

    def advantages(self, rewards: torch.Tensor) -> torch.Tensor:
        return leave_one_out_advantages(rewards)
