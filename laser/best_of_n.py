"""LASeR at inference only: a bandit learns which reward model to rerank n samples with.

No policy update. Per step (batch of G prompts): the bandit picks a reward model from the
batch's context, n responses per prompt are sampled and reranked by it, and the bandit learns
from the negative NLL of the chosen responses under the policy (scaled like LASeR's MAB
reward). Evaluation: ``before`` = greedy decoding; ``after`` = best-of-n with the learned
bandit (frozen) choosing the reranker per batch on the eval split.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from common.context import prompt_context
from common.data.formatting import format_prompt
from common.data.types import Example
from common.distributed import is_main
from common.mab_reward import MABRewardScaler
from common.mixing import Feedback, MixDecision, mix_rewards
from common.plugins import build_run_mixer
from common.rollout import Rollout, rollout_logprobs
from common.training_loop import TrainingLoop
from laser.trainer import batch_categories


class BestOfNLoop(TrainingLoop):
    method = "laser_best_of_n"

    def __init__(self, cfg, run_dir) -> None:
        super().__init__(cfg, run_dir)
        self.mixer = build_run_mixer(cfg, self.reward_set.names)
        self.mab = MABRewardScaler(**dict(cfg.trainer.get("mab_reward") or {}))

    def _decide(self, step: int, batch: list[Example]) -> tuple[MixDecision, np.ndarray | None]:
        context = None
        if self.mixer.needs_context:
            prompts = [format_prompt(self.tokenizer, ex.prompt) for ex in batch]
            context = prompt_context(self.model, self.tokenizer, prompts, self.cfg.trainer.context)
        return self.mixer.decide(step, context), context

    def _rerank(self, batch: list[Example], decision: MixDecision) -> tuple[Rollout, np.ndarray]:
        """Sample n per prompt; returns the rollout (G*n rows) and each prompt's chosen row."""
        tr = self.cfg.trainer
        rollout = self.rollout_batch(batch, n=tr.n_samples)
        picked = [m for m, w in zip(self.reward_set.names, decision.weights, strict=True) if w > 0]
        repeated = [ex for ex in batch for _ in range(tr.n_samples)]
        table = self.reward_set.score(repeated, rollout.texts, only=picked)
        scores = mix_rewards(table.scores, table.mask, decision.weights)
        best = scores.reshape(len(batch), tr.n_samples).argmax(axis=1)  # first best on ties
        return rollout, np.arange(len(batch)) * tr.n_samples + best

    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        t0 = time.perf_counter()
        decision, context = self._decide(step, batch)
        t_bandit = time.perf_counter() - t0
        rollout, chosen = self._rerank(batch, decision)
        with torch.no_grad():
            logp = rollout_logprobs(self.model, rollout)[chosen]
            mask = rollout.response_mask[chosen].float()
            nll = float((-(logp * mask).sum(1) / mask.sum(1).clamp(min=1)).mean())
        t0 = time.perf_counter()
        mab_reward = self.mab(nll) if self.mixer.learns_from_scalar else None
        self.mixer.update(Feedback(step=step, arm=decision.arm, scalar=mab_reward, context=context))
        t_bandit += time.perf_counter() - t0
        texts = [rollout.texts[i] for i in chosen]
        figures = self.reward_set.score(batch, texts).log_dict()  # how good the picks are
        figures.update(
            {
                f"weight/{m}": float(w)
                for m, w in zip(self.reward_set.names, decision.weights, strict=True)
            }
        )
        figures.update(
            nll=nll,
            mab_reward=mab_reward,
            **{"time/bandit_s": t_bandit, "time/generate_s": rollout.seconds},
        )
        if decision.arm is not None:
            figures["arm"] = self.reward_set.names[decision.arm]
        figures["categories"] = batch_categories(batch)
        return figures

    def evaluate(self, desc: str) -> dict[str, float]:
        if desc == "eval before":
            return super().evaluate(desc)  # greedy decoding: the no-reranking baseline
        bs = self.cfg.trainer.batch_size
        examples = self.eval_examples
        texts: list[str] = []
        state = self.mixer.state_dict()  # evaluation must not teach the bandit
        for s in tqdm(range(0, len(examples), bs), desc=desc, leave=False, disable=not is_main()):
            batch = examples[s : s + bs]
            decision, _ = self._decide(self.cfg.trainer.steps + 1 + s, batch)
            rollout, chosen = self._rerank(batch, decision)
            texts += [rollout.texts[i] for i in chosen]
        self.mixer.load_state_dict(state)
        return self.reward_set.aggregate(self.reward_set.score(examples, texts))

    def extra_state(self) -> dict[str, Any]:
        return {"mixer": self.mixer.state_dict(), "mab": self.mab.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.mixer.load_state_dict(state["mixer"])
        self.mab.load_state_dict(state["mab"])
