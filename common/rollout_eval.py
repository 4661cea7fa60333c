"""The no-update trainer: sample, score and log every step, evaluate before and after.

It exercises the rollout and reward path end to end on any model and dataset, and gives the
sampling-noise baseline a trained run's curves should be read against.
"""

from __future__ import annotations

from typing import Any

from common.data.formatting import format_prompt
from common.data.types import Example
from common.rollout import generate
from common.training_loop import TrainingLoop


class RolloutEvalLoop(TrainingLoop):
    method = "rollout_eval"

    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        tr = self.cfg.trainer
        prompts = [format_prompt(self.tokenizer, ex.prompt) for ex in batch]
        # One generate call per batch: the batch's largest budget, as a trainer would.
        budget = max(self.budget_of(ex) for ex in batch)
        rollout = generate(
            self.model,
            self.tokenizer,
            prompts,
            max_new_tokens=budget,
            do_sample=True,
            temperature=tr.temperature,
            top_p=tr.top_p,
            max_prompt_tokens=self.cfg.dataset.get("max_prompt_tokens"),
        )
        table = self.reward_set.score(batch, rollout.texts)
        figures = table.log_dict()
        figures["tokens_per_s"] = rollout.num_response_tokens / max(rollout.seconds, 1e-9)
        figures["response_tokens"] = rollout.num_response_tokens
        return figures
