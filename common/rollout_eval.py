"""The no-update trainer: sample, score and log every step, evaluate before and after.

It exercises the rollout and reward path end to end on any model and dataset, and gives the
sampling-noise baseline a trained run's curves should be read against.
"""

from __future__ import annotations

from typing import Any

from common.data.types import Example
from common.training_loop import TrainingLoop


class RolloutEvalLoop(TrainingLoop):
    method = "rollout_eval"

    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        rollout = self.rollout_batch(batch, do_sample=True)
        table = self.reward_set.score(batch, rollout.texts)
        figures = table.log_dict()
        figures["tokens_per_s"] = rollout.num_response_tokens / max(rollout.seconds, 1e-9)
        figures["response_tokens"] = rollout.num_response_tokens
        return figures
