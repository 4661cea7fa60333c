"""What the reward step (:mod:`common.mixers.step`) hands a trainer: the step's decision
(:class:`StepDecision`), the batch's rewards (:class:`StepRewards`), and the rule that turns a
decision's weights into rows per task (:func:`rows_per_source`).

Multi-type data (``rewards.routing=by_example``: one metric per row). The weights act on
which rows are drawn, for every mixer (:func:`rows_per_source`): a mixer that samples a
metric (DRBO Algorithm 1, line 5) draws the whole batch from that metric's task; any other
mixer draws each row's task from the weights. The reward of a row is then its own metric's
(:func:`common.mixers.base.mix_rewards`), so the weights are not applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from common.mixers.base import MixDecision
from common.rewards.reward_set import ScoreTable


def rows_per_source(
    weights: np.ndarray, arm: int | None, batch_size: int, rng: np.random.Generator
) -> np.ndarray:
    """How many of a multi-type batch's rows come from each source's task: (N,) ints.

    With a sampled ``arm`` every row comes from its task (DRBO Algorithm 1, line 5);
    otherwise each row's task is drawn independently from Categorical(weights), so the
    expected share of source j's rows is w_j, e.g. 3/10 NER rows for ALaRM's 3:1:...:1 over
    eight metrics where uniform weights give 1/8.
    """
    w = np.asarray(weights, dtype=np.float64)
    if arm is not None:
        counts = np.zeros(len(w), dtype=np.int64)
        counts[arm] = batch_size
        return counts
    return rng.multinomial(batch_size, w / w.sum())


@dataclass
class StepDecision:
    """What the mixer decided for one step, for this rank's prompts.

    Attributes:
        step: the 1-based optimizer step.
        batch: the one decision of ``batch`` granularity; None per query.
        per_prompt: ``query`` granularity: one decision per local prompt (G).
        context: ``batch``: the gathered mean context (d,); None without context.
        contexts: ``query``: this rank's per-prompt contexts (G, d); None without context.
        arm_chose_data: the batch's rows were drawn from the arm's task (multi-type).
        all_decisions / all_contexts: ``query``: every rank's, in rank order (feedback).
    """

    step: int
    batch: MixDecision | None = None
    per_prompt: list[MixDecision] = field(default_factory=list)
    context: np.ndarray | None = None
    contexts: np.ndarray | None = None
    arm_chose_data: bool = False
    all_decisions: list[MixDecision] = field(default_factory=list)
    all_contexts: list[np.ndarray | None] = field(default_factory=list)

    @property
    def arm(self) -> int | None:
        """The batch's arm (``batch`` granularity), else None."""
        return None if self.batch is None else self.batch.arm

    @property
    def weights(self) -> np.ndarray:
        """(N,) the batch's weights; per query, the mean over every rank's prompts."""
        if self.batch is not None:
            return self.batch.weights
        return np.mean([d.weights for d in self.all_decisions], axis=0)

    def row_weights(self, num_prompts: int, n: int = 1) -> np.ndarray:
        """(G * n, N) the weights of each row; rows are prompt-major (n per prompt)."""
        if self.batch is not None:
            return np.repeat(self.batch.weights[None, :], num_prompts * n, axis=0)
        if len(self.per_prompt) != num_prompts:
            raise ValueError(
                f"{len(self.per_prompt)} per-prompt decisions for a batch of {num_prompts}"
            )
        return np.repeat(np.stack([d.weights for d in self.per_prompt]), n, axis=0)


@dataclass
class StepRewards:
    """One batch's scores and mixed rewards.

    Attributes:
        table: (B, N) raw scores of the chosen sources (others masked).
        scaled: (B, N) scores after the trainer's transform (DRBO's standardization;
            the raw scores without one), 0 where masked.
        mixed: (B,) one reward per row, :func:`mix_rewards` of ``scaled``.
        num_prompts / n: B = num_prompts * n, rows prompt-major.
        raw: (B, N) scores before the transform, after GDPO's conditions, 0 where masked
            (what ``balancer.statistic=raw`` feeds the mixer); None: ``table.scores``.
    """

    table: ScoreTable
    scaled: np.ndarray
    mixed: np.ndarray
    num_prompts: int
    n: int
    raw: np.ndarray | None = None

    def per_prompt(self) -> np.ndarray:
        """(G, n) mixed rewards."""
        return self.mixed.reshape(self.num_prompts, self.n)
