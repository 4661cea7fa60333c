"""LASeR: a bandit picks one reward model per batch; iterative preference training with LoRA.

Per step t (one batch of G prompts):
    1. context c = mean prompt embedding from the policy (common.context), shape (d,);
    2. the bandit (``balancer`` group: linucb, exp3, random, single, sequential, average)
       picks reward source(s): one-hot weights for a bandit, dense for the ensemble;
    3. n responses per prompt are sampled (temperature 0.8) and scored by the picked reward
       model(s) only, so a bandit pays ~1/K of the ensemble's scoring cost;
    4. P preference pairs per prompt from the ranking (laser.pairs); loss = DPO + alpha NLL on
       the chosen (reasoning default), DPO, NLL or KTO, against the reference = the policy
       at the start of the current iteration (iterations of ``steps_per_iteration`` steps);
    5. one optimizer step (LoRA on the DeepSpeed engine);
    6. the bandit learns from the MAB reward: the step's negative loss scaled by the 20/80
       quantiles of its history (common.mab_reward).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from common.context import prompt_context
from common.data.formatting import format_prompt
from common.data.types import Example
from common.engine_loop import EngineLoop
from common.mixing import Feedback, mix_rewards
from common.rollout import Rollout, rollout_logprobs
from laser.losses import dpo_nll_loss, kto_kl_estimate, kto_loss, nll_loss, sequence_logp
from laser.pairs import build_pairs, kto_examples

LOSSES = ("dpo_nll", "dpo", "nll", "kto")


def batch_categories(batch: list[Example]) -> str:
    """The prompts' categories, comma-joined, for per-category arm utilization."""
    return ",".join(str(ex.meta.get("category", ex.task_name)) for ex in batch)


def take_rows(r: Rollout, rows: list[int]) -> Rollout:
    """The sub-rollout of ``rows`` (indices into B), trimmed to its longest response."""
    idx = torch.as_tensor(rows, dtype=torch.long)
    mask = r.response_mask[idx]
    width = max(int(mask.sum(1).max()), 1)
    return Rollout(
        r.prompt_ids[idx],
        r.prompt_mask[idx],
        r.response_ids[idx][:, :width],
        mask[:, :width],
        [r.texts[i] for i in rows],
        r.seconds,
    )


class LaserLoop(EngineLoop):
    method = "laser"

    def __init__(self, cfg, run_dir) -> None:
        super().__init__(cfg, run_dir)
        tr = cfg.trainer
        if tr.loss not in LOSSES:
            raise ValueError(f"trainer.loss={tr.loss!r}; allowed values: {', '.join(LOSSES)}")
        self._refreshed_at = 0
        self._dev_history: list[float] = []
        self._stop = False

    # ---- pieces -----------------------------------------------------------------------------
    def _logps(self, rollout: Rollout, reference: bool) -> torch.Tensor:
        """(B, T) response log-probs under the policy (grad) or the reference (no grad)."""
        if not reference:
            return rollout_logprobs(self.engine, rollout)
        with torch.no_grad(), self.reference.model(self.engine.module) as ref:
            return rollout_logprobs(ref, rollout)

    def _loss(self, rollout: Rollout, scores: np.ndarray) -> tuple[torch.Tensor | None, dict]:
        """Preference loss on one batch's G x n scored samples; None when no pair exists."""
        tr = self.cfg.trainer
        G, n = scores.shape
        if tr.loss == "kto":
            desirable = torch.as_tensor(kto_examples(scores).reshape(-1))
            # reference first: its forward may swap adapter weights in place
            ref = sequence_logp(self._logps(rollout, True), rollout.response_mask)
            logp = sequence_logp(self._logps(rollout, False), rollout.response_mask)
            loss, parts = kto_loss(logp, ref, desirable, kto_kl_estimate(logp, ref), beta=tr.beta)
            return loss, {"kto_kl": float(parts["kl"]), "pairs": int(desirable.sum())}
        pairs = build_pairs(scores, num_pairs=tr.pairs_per_prompt, strategy=tr.pair_strategy)
        if not pairs:
            return None, {"pairs": 0}
        n_pairs = len(pairs)
        # Chosen rows then rejected rows in one sub-rollout: both sides of a pair share their
        # prompt, which then runs once per forward (rollout_logprobs shares it).
        both = take_rows(
            rollout, [g * n + i for g, i, _ in pairs] + [g * n + j for g, _, j in pairs]
        )
        chosen_mask, rejected_mask = both.response_mask[:n_pairs], both.response_mask[n_pairs:]
        # reference first: its forward may swap adapter weights in place, which must not
        # happen while the policy's graph holds them
        ref = self._logps(both, True)
        rc = sequence_logp(ref[:n_pairs], chosen_mask)
        rr = sequence_logp(ref[n_pairs:], rejected_mask)
        policy = self._logps(both, False)
        pc, pr = policy[:n_pairs], policy[n_pairs:]
        alpha = tr.nll_alpha if tr.loss == "dpo_nll" else 0.0
        parts = dpo_nll_loss(pc, chosen_mask, pr, rejected_mask, rc, rr, beta=tr.beta, alpha=alpha)
        parts["nll"] = nll_loss(pc, chosen_mask).detach()
        # "nll": fine-tune on the chosen responses alone (rejection-sampling fine-tuning)
        loss = nll_loss(pc, chosen_mask) if tr.loss == "nll" else parts["loss"]
        figures = {k: float(v) for k, v in parts.items() if k != "loss"}
        figures["pairs"] = n_pairs
        return loss, figures

    # ---- one step -----------------------------------------------------------------------------
    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        tr = self.cfg.trainer
        if (step - 1) % tr.steps_per_iteration == 0 and step > 1:
            self.reference.refresh(self.engine.module)  # previous iteration's model
            self._refreshed_at = step
        t0 = time.perf_counter()
        context = None
        if self.mixer.needs_context:
            prompts = [format_prompt(self.tokenizer, ex.prompt) for ex in batch]
            context = prompt_context(self.model, self.tokenizer, prompts, tr.context)
        t_context = time.perf_counter() - t0
        t0 = time.perf_counter()
        decision = self.mixer.decide(step, context)
        t_bandit = time.perf_counter() - t0

        t0 = time.perf_counter()
        rollout = self.rollout_batch(batch, n=self.cfg.trainer.n_samples)
        t_gen = time.perf_counter() - t0

        t0 = time.perf_counter()
        picked = [m for m, w in zip(self.reward_set.names, decision.weights, strict=True) if w > 0]
        repeated = [ex for ex in batch for _ in range(tr.n_samples)]
        table = self.reward_set.score(repeated, rollout.texts, only=picked, step=step)
        scores = mix_rewards(table.scores, table.mask, decision.weights)
        scores = scores.reshape(len(batch), tr.n_samples)
        t_score = time.perf_counter() - t0

        t0 = time.perf_counter()
        self.engine.engine.train()
        loss, figures = self._loss(rollout, scores)
        if loss is not None:
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"step {step}: loss is {loss.item()}; stopping before "
                    "the optimizer step, the last checkpoint is intact"
                )
            self.engine.backward(loss)
            self.engine.step()
        t_train = time.perf_counter() - t0

        t0 = time.perf_counter()
        mab_reward = self.mab_feedback(None if loss is None else float(loss.detach()))
        if self.mixer.learns_from_scalar:
            if mab_reward is None:
                # No rank built a preference pair: the chosen RM scored every sample alike and
                # the policy learned nothing, the worst outcome. Left unrewarded, such an arm
                # keeps its optimistic bound and a bandit would pick it again and again.
                mab_reward = 0.0
            learn = True
        else:
            learn = loss is not None  # a balancer learns from the rewards of trained steps
        if learn:
            self.mixer.update(
                Feedback(
                    step=step,
                    arm=decision.arm,
                    scalar=mab_reward,
                    context=context,
                    source_rewards=table.metric_means(),
                )
            )
        t_bandit += time.perf_counter() - t0

        figures.update(table.log_dict())
        figures.update(
            {
                f"weight/{m}": float(w)
                for m, w in zip(self.reward_set.names, decision.weights, strict=True)
            }
        )
        figures.update(
            loss=float(loss.detach()) if loss is not None else None,
            mab_reward=mab_reward,
            reward=float(scores.mean()),
            tokens_per_s=rollout.num_response_tokens / max(rollout.seconds, 1e-9),
            **{
                "time/context_s": t_context,
                "time/bandit_s": t_bandit,
                "time/generate_s": t_gen,
                "time/reward_s": t_score,
                "time/train_s": t_train,
            },
        )
        if decision.arm is not None:
            figures["arm"] = self.reward_set.names[decision.arm]
        figures["categories"] = batch_categories(batch)
        figures.update(self._dev_check(step))
        return figures

    # ---- per-iteration dev-set stop -------------------------------------------------------------
    def should_stop(self, step: int) -> bool:
        return self._stop

    def _dev_check(self, step: int) -> dict[str, float]:
        """At the end of each iteration, evaluate ``dev_stop.metric`` on the eval split; ask
        to stop when it improved by less than ``dev_stop.min_improvement`` over the previous
        iteration (the iterative-RPO recipe of training until the dev score stalls)."""
        ds = self.cfg.trainer.get("dev_stop") or {}
        if not ds.get("enabled", False) or step % self.cfg.trainer.steps_per_iteration:
            return {}
        iteration = step // self.cfg.trainer.steps_per_iteration
        score = self.evaluate(f"dev after iteration {iteration}")
        if ds.metric not in score:
            raise KeyError(
                f"trainer.dev_stop.metric={ds.metric!r}; allowed values: {', '.join(score)}"
            )
        self._dev_history.append(float(score[ds.metric]))
        if len(self._dev_history) >= 2:
            gain = self._dev_history[-1] - self._dev_history[-2]
            self._stop = gain < float(ds.min_improvement)
        return {f"dev/{ds.metric}": self._dev_history[-1]}

    # ---- checkpoints --------------------------------------------------------------------------
    def write_model_state(self, folder: Path) -> None:
        super().write_model_state(folder)
        if self._refreshed_at:
            torch.save(self.reference.state_dict(), folder / "reference.pt")

    def load_model_state(self, folder: Path) -> None:
        super().load_model_state(folder)
        if (folder / "reference.pt").exists():
            self.reference.load_state_dict(torch.load(folder / "reference.pt", weights_only=False))

    def extra_state(self) -> dict[str, Any]:
        return {
            **super().extra_state(),
            "refreshed_at": self._refreshed_at,
            "dev_history": self._dev_history,
        }

    def load_extra_state(self, state: dict[str, Any]) -> None:
        super().load_extra_state(state)
        self._refreshed_at = int(state["refreshed_at"])
        self._dev_history = list(state.get("dev_history", []))
