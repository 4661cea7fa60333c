"""LASeR at inference only: a bandit learns which reward model to rerank n samples with.

No policy update. Per step (batch of G prompts): the bandit picks a reward model from the
batch's context, n responses per prompt are sampled and reranked by it, and the bandit learns
from the negative NLL of the chosen responses under the policy (scaled like LASeR's MAB
reward). Evaluation: ``before`` = greedy decoding; ``after`` = best-of-n with the learned
bandit (frozen) choosing the reranker per batch on the eval split.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from common.data.formatting import format_prompt
from common.data.types import Example
from common.generation.batch import Rollout
from common.generation.logprobs import rollout_logprobs
from common.mixers.step import StepDecision, StepRewards, build_reward_step
from common.rundir.distributed import is_main
from common.training.loop import TrainingLoop
from common.training.timing import StepTimes
from laser.trainer import batch_categories


class BestOfNLoop(TrainingLoop):
    method = "laser_best_of_n"

    def __init__(self, cfg, run_dir) -> None:
        super().__init__(cfg, run_dir)
        self.rewards = build_reward_step(cfg, self.reward_set, lambda: self.policy, self.tokenizer)
        self.mixer, self.mab = self.rewards.mixer, self.rewards.mab

    def _decide(self, step: int, batch: list[Example]) -> StepDecision:
        prompts = [format_prompt(self.tokenizer, ex.prompt) for ex in batch]
        return self.rewards.decide(step, prompts)

    def _rerank(
        self, batch: list[Example], decision: StepDecision, step: int | None = None
    ) -> tuple[Rollout, StepRewards, np.ndarray]:
        """Sample n per prompt, score by the chosen reward model(s); returns the rollout
        (G*n rows), its rewards and each prompt's chosen row (G,)."""
        n = self.cfg.trainer.n_samples
        rollout = self.rollout_batch(batch, n=n)
        rewards = self.rewards.score(decision, batch, rollout.texts, n=n, step=step)
        best = rewards.per_prompt().argmax(axis=1)  # first best on ties
        return rollout, rewards, np.arange(len(batch)) * n + best

    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        decision = self._decide(step, batch)
        rollout, rewards, chosen = self._rerank(batch, decision, step)
        times = StepTimes()
        with times.timed("fwd_bwd"), torch.no_grad():
            logp = rollout_logprobs(self.policy, rollout)[chosen]
            mask = rollout.response_mask[chosen].float()
            nll_rows = -(logp * mask).sum(1) / mask.sum(1).clamp(min=1)  # (G,)
        nll = float(nll_rows.mean())
        per_query = self.rewards.granularity == "query"
        mab_reward = self.rewards.feedback(
            decision, rewards, [float(x) for x in nll_rows] if per_query else nll
        )
        figures = self.rewards.figures(decision, rewards, mab_reward)
        texts = [rollout.texts[i] for i in chosen]
        # how good the picks are, by every source (the reward/<m> of the chosen responses)
        figures.update(self.reward_set.score(batch, texts).log_dict())
        figures.update(
            nll=nll,
            **self.rewards.time_figures(generate_s=rollout.seconds, **times.seconds),
        )
        figures["categories"] = batch_categories(batch)
        return figures

    def evaluate(self, desc: str) -> dict[str, float]:
        if desc == "eval before":
            return super().evaluate(desc)  # greedy decoding: the no-reranking baseline
        bs = self.cfg.trainer.batch_size
        examples = self.eval_examples
        texts: list[str] = []
        state = self.rewards.state_dict()  # evaluation must not teach the bandit
        for s in tqdm(range(0, len(examples), bs), desc=desc, leave=False, disable=not is_main()):
            batch = examples[s : s + bs]
            decision = self._decide(self.cfg.trainer.steps + 1 + s, batch)
            rollout, _, chosen = self._rerank(batch, decision)
            texts += [rollout.texts[i] for i in chosen]
        self.rewards.load_state_dict(state)
        return self.score_eval(texts)

    def extra_state(self) -> dict[str, Any]:
        return self.rewards.state_dict()

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.rewards.load_state_dict(state)
