"""The no-update trainer: sample, score and log every step, evaluate before and after.

It exercises the rollout and reward path end to end on any model and dataset, and gives the
sampling-noise baseline a trained run's curves should be read against.
"""

from __future__ import annotations

from typing import Any

from common.data.types import Example
from common.mixers.step import TIME_KEYS
from common.training.loop import TrainingLoop
from common.training.timing import StepTimes


class RolloutEvalLoop(TrainingLoop):
    method = "rollout_eval"

    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        rollout = self.rollout_batch(batch, do_sample=True)
        times = StepTimes()
        with times.timed("reward"):
            table = self.reward_set.score(batch, rollout.texts)
        figures = table.log_dict()
        # the timing keys every trainer logs; this one has no mixer and no update
        figures.update({k: 0.0 for k in TIME_KEYS})
        figures["time/generate_s"] = rollout.seconds
        figures["time/reward_s"] = times.get("reward")
        figures["tokens_per_s"] = rollout.num_response_tokens / max(rollout.seconds, 1e-9)
        figures["response_tokens"] = rollout.num_response_tokens
        return figures
