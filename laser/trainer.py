"""LASeR: a bandit picks one reward model per batch (or per prompt); iterative preference
training with LoRA.

Per step t (one batch of G prompts per rank); steps 1-3 and 6 are the one reward step
(:class:`common.mixers.step.RewardStep`):
    1. context c = mean prompt embedding from the policy over every rank's prompts
       (common.mixers.context), shape (d,); per query, each prompt's own embedding;
    2. the bandit (``balancer`` group: linucb, exp3, random, single, sequential, ensemble,
       average) picks reward source(s): one-hot weights for a bandit, dense for the ensemble;
    3. n responses per prompt are sampled (temperature 0.8) and scored by the picked reward
       model(s) only, so a bandit pays ~1/K of the ensemble's scoring cost;
    4. P preference pairs per prompt from the ranking (laser.pairs); loss = DPO + alpha NLL on
       the chosen (reasoning default), DPO, NLL or KTO, against the reference = the policy
       at the start of the current iteration (iterations of ``steps_per_iteration`` steps);
    5. one optimizer step (LoRA on the DeepSpeed engine). Every rank takes part in every
       collective: a rank whose samples all tie (no pair) runs the same forwards and backward
       on a zero-weighted dummy pair, and when no rank has a pair all ranks skip together;
    6. the bandit learns from the MAB reward: the step's negative loss (every rank's) scaled
       by the 20/80 quantiles of its history (common.mixers.mab_reward); per query, each
       prompt's arm from the loss of that prompt's pairs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from common.data.formatting import format_prompt
from common.data.types import Example
from common.generation.rollout import Rollout, rollout_logprobs
from common.rundir.safe_state import load_tensors, refuse_legacy, save_tensors
from common.training.engine_loop import EngineLoop
from common.training.step_guard import OK, agree_on_loss
from common.training.timing import StepTimes
from laser.losses import dpo_nll_loss, kto_kl_estimate, kto_loss, nll_loss, sequence_logp
from laser.pairs import build_pairs, kto_examples

LOSSES = ("dpo_nll", "dpo", "nll", "kto")
REFERENCE = "reference.safetensors"  # the reference after a refresh, in a checkpoint


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
        with torch.no_grad(), self.reference.model(self.policy) as ref:
            return rollout_logprobs(ref, rollout)

    def _loss(
        self, rollout: Rollout, scores: np.ndarray, dummy: bool = False
    ) -> tuple[torch.Tensor | None, dict, list[float | None]]:
        """Preference loss on one batch's G x n scored samples.

        Returns the loss (None when no pair exists), its figures and each prompt's own loss
        (G,), None for a prompt without a pair (per-query bandit feedback). ``dummy`` builds
        the loss of a pair of row 0 with itself times 0: the same forwards and backward as a
        real step, so a rank with no pair still joins DeepSpeed's collectives, and a zero
        gradient.
        """
        tr = self.cfg.trainer
        G, n = scores.shape
        if tr.loss == "kto":
            desirable = torch.as_tensor(kto_examples(scores).reshape(-1))
            # reference first: its forward may swap adapter weights in place
            ref = sequence_logp(self._logps(rollout, True), rollout.response_mask)
            logp = sequence_logp(self._logps(rollout, False), rollout.response_mask)
            kl = kto_kl_estimate(logp, ref)
            loss, parts = kto_loss(logp, ref, desirable, kl, beta=tr.beta)
            per_prompt = [
                float(
                    kto_loss(
                        logp[g * n : (g + 1) * n].detach(),
                        ref[g * n : (g + 1) * n],
                        desirable[g * n : (g + 1) * n],
                        kl,
                        beta=tr.beta,
                    )[0]
                )
                for g in range(G)
            ]
            return loss, {"kto_kl": float(parts["kl"]), "pairs": int(desirable.sum())}, per_prompt
        pairs = build_pairs(scores, num_pairs=tr.pairs_per_prompt, strategy=tr.pair_strategy)
        if dummy:
            pairs = [(0, 0, 0)]
        elif not pairs:
            return None, {"pairs": 0}, [None] * G
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

        def loss_of(rows: slice | list[int]) -> dict[str, torch.Tensor]:
            parts = dpo_nll_loss(
                pc[rows],
                chosen_mask[rows],
                pr[rows],
                rejected_mask[rows],
                rc[rows],
                rr[rows],
                beta=tr.beta,
                alpha=alpha,
            )
            # "nll": fine-tune on the chosen responses alone (rejection-sampling fine-tuning)
            if tr.loss == "nll":
                parts["loss"] = nll_loss(pc[rows], chosen_mask[rows])
            return parts

        parts = loss_of(slice(None))
        parts["nll"] = nll_loss(pc, chosen_mask).detach()
        loss = parts["loss"]
        if dummy:
            return loss * 0.0, {"pairs": 0}, [None] * G
        per_prompt: list[float | None] = []
        for g in range(G):
            rows = [k for k, (h, _, _) in enumerate(pairs) if h == g]
            per_prompt.append(float(loss_of(rows)["loss"].detach()) if rows else None)
        figures = {k: float(v) for k, v in parts.items() if k != "loss"}
        figures["pairs"] = n_pairs
        return loss, figures, per_prompt

    # ---- one step -----------------------------------------------------------------------------
    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        tr = self.cfg.trainer
        if (step - 1) % tr.steps_per_iteration == 0 and step > 1:
            self.reference.refresh(self.policy)  # previous iteration's model
            self._refreshed_at = step
        prompts = [format_prompt(self.tokenizer, ex.prompt) for ex in batch]
        decision = self.rewards.decide(step, prompts)

        times = StepTimes()
        with times.timed("generate"):
            rollout = self.rollout_batch(batch, n=tr.n_samples)

        rewards = self.rewards.score(decision, batch, rollout.texts, n=tr.n_samples, step=step)
        scores = rewards.per_prompt()  # (G, n)

        with times.timed("fwd_bwd"):
            self.engine.train()
            loss, figures, per_prompt = self._loss(rollout, scores)
            # Every rank must enter the same collectives: agree whether anyone trains (and
            # stop everywhere on a non-finite loss); a rank without a pair then
            # backpropagates a zero-weighted dummy pair.
            everyone = agree_on_loss(loss, step)
            if OK in everyone:
                if loss is None:
                    loss_to_backward, _, _ = self._loss(rollout, scores, dummy=True)
                else:
                    loss_to_backward = loss
                self.engine.backward(loss_to_backward)
        if OK in everyone:
            with times.timed("optimizer"):
                self.engine.step()

        step_loss = None if loss is None else float(loss.detach())
        mab_reward = self.rewards.feedback(
            decision, rewards, per_prompt if self.rewards.granularity == "query" else step_loss
        )

        figures.update(self.rewards.figures(decision, rewards, mab_reward))
        figures.update(
            loss=step_loss,
            tokens_per_s=rollout.num_response_tokens / max(rollout.seconds, 1e-9),
            **self.rewards.time_figures(**times.seconds),
        )
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
        ds = self.cfg.trainer.dev_stop
        if not ds.enabled or step % self.cfg.trainer.steps_per_iteration:
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
            save_tensors(folder / REFERENCE, self.reference.state_dict())

    def load_model_state(self, folder: Path) -> None:
        refuse_legacy(folder, "reference.pt", REFERENCE)
        super().load_model_state(folder)
        if (folder / REFERENCE).exists():
            # on the policy's device: a LoRA snapshot is copied into its adapters per forward
            reference = load_tensors(folder / REFERENCE, device=self.engine.device)
            self.reference.load_state_dict(reference)

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
