"""What a mixer that learns from its sources' rewards is fed, gathered over every rank.

Statistic (``balancer.statistic``): what a mixer that learns from the sources' rewards
(DRBO's inverse, delta, average and simple_inverse; correlation; mo_grpo) is fed, chosen here
once for all of them (:meth:`RewardStep.learned`):

- ``scaled`` (the paper's, the default): the rewards after the trainer's transform (DRBO's
  standardization, Eq. 3), so a running mean of 0 is "as good as the untrained policy";
- ``raw``: the metrics' own 0-1 scores (after GDPO's conditions), so a metric the policy
  cannot pass at all reads as low as it is. Standardization divides each metric by its own
  spread around its own start and hides that absolute level; inverse on raw means weights
  ``W_j / (raw mean_j + 1 + bonus_j)``, at most a factor 2 between two metrics.

The mixed training reward always uses the scaled rewards; only what the mixer learns changes.
Without a transform (GRPO, RLOO, LASeR) the two are the same.
"""

from __future__ import annotations

import numpy as np

from common.mixers.base import RewardMixer, SourceSamples
from common.mixers.decision import StepRewards
from common.rundir.distributed import all_gather_object

STATISTICS = ("scaled", "raw")


def check_statistic(statistic: str, mixer: RewardMixer) -> None:
    """Refuse an unknown ``balancer.statistic``, or ``raw`` for a mixer that learns nothing
    from the sources' rewards (a bandit, a fixed mixer), naming the allowed values."""
    if statistic not in STATISTICS:
        raise ValueError(
            f"balancer.statistic={statistic!r}; allowed values: {', '.join(STATISTICS)}"
        )
    if statistic != "scaled" and not mixer.learns_from_sources:
        raise ValueError(
            f"balancer.statistic={statistic}: balancer {type(mixer).__name__} does not learn "
            "from the sources' rewards; the statistic applies to inverse, delta, average, "
            "simple_inverse, correlation and mo_grpo (leave it at scaled)"
        )


def learned_rewards(rewards: StepRewards, statistic: str) -> np.ndarray:
    """(B, N) rewards of ``statistic``, 0 where masked: the one place the scaled or raw rewards
    are chosen for the mixer."""
    if statistic == "scaled":
        return rewards.scaled
    return rewards.raw if rewards.raw is not None else rewards.table.scores


def gathered_source_means(
    names: list[str], rewards: StepRewards, statistic: str = "scaled"
) -> dict[str, float]:
    """Mean reward per source (``scaled`` or ``raw``) over every rank's rows that it scored;
    sources no rank scored are left out. Identical on all ranks."""
    mask, values = rewards.table.mask, learned_rewards(rewards, statistic)
    local = {
        m: (float(values[mask[:, j], j].sum()), int(mask[:, j].sum())) for j, m in enumerate(names)
    }
    totals = {m: [0.0, 0] for m in names}
    for part in all_gather_object(local):
        for m, (total, count) in part.items():
            totals[m][0] += total
            totals[m][1] += count
    return {m: t / c for m, (t, c) in totals.items() if c > 0}


def gathered_source_samples(rewards: StepRewards, statistic: str) -> SourceSamples:
    """Every rank's (B, N) scores of ``statistic``, mask and prompt-group ids, in rank order."""
    parts = all_gather_object((learned_rewards(rewards, statistic), rewards.table.mask, rewards.n))
    groups, offset = [], 0
    for scores, _, n in parts:
        g = len(scores) // n
        groups.append(np.repeat(np.arange(offset, offset + g), n))
        offset += g
    return SourceSamples(
        scores=np.concatenate([p[0] for p in parts], axis=0),
        mask=np.concatenate([p[1] for p in parts], axis=0).astype(bool),
        groups=np.concatenate(groups),
    )
