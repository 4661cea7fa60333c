"""The one reward step every trainer calls: context -> decide -> score the chosen sources ->
mix -> feedback -> log.

A trainer owns generation and the loss; this module owns everything between the mixer and
the per-sample rewards, identically for ReMax (``drbo.trainer``), iterative DPO
(``laser.trainer``), best-of-n reranking (``laser.best_of_n``) and any future trainer that
samples n responses per prompt (GRPO, RLOO)::

    step = RewardStep(mixer, reward_set, granularity="batch", context=..., mab=...)
    decision = step.decide(t, prompts)                 # (1) context, (2) decide
    ... generate n responses per prompt (rows prompt-major, B = G * n) ...
    rewards = step.score(decision, examples, texts, n) # (3) score chosen sources, (4) mix
    ... advantages from rewards.mixed (B,), loss, optimizer step ...
    mab_reward = step.feedback(decision, rewards, loss)  # (5) every rank, same update
    figures = step.figures(decision, rewards, mab_reward)  # (6) weight/*, arm, reward/*

Several processes. Every rank calls every method in the same order; each call that needs
other ranks' figures gathers them, so all ranks' mixers see identical inputs and keep
identical state (their RNGs advance in step too):

- the context is gathered: ``batch`` granularity decides once from the mean of every rank's
  per-prompt contexts; ``query`` granularity decides once per prompt of every rank, in rank
  order, and each rank keeps its own prompts' decisions;
- feedback is gathered: the MAB reward comes from every rank's loss, the balancers' source
  rewards are means over every rank's rows.

Granularity (``balancer.granularity``):

- ``batch``: one decision per step, from the batch's mean context (LASeR's default).
- ``query``: one decision per prompt, from that prompt's own context; every prompt's arm
  then learns from the loss of that prompt's own rows (its MAB reward). Only mixers that do
  not learn from per-step source means can run per query (bandits, static, single,
  sequential); DRBO's dynamic balancers cannot.

Multi-type data (``rewards.routing=by_example``): the weights choose which rows are drawn
(:func:`common.mixers.decision.rows_per_source`).

Statistic (``balancer.statistic``): what a mixer that learns from the sources' rewards is
fed, ``scaled`` (the paper's) or ``raw`` (:mod:`common.mixers.source_stats`).

The values a step hands to its trainer (:class:`StepDecision`, :class:`StepRewards`) live in
:mod:`common.mixers.decision` and are re-exported here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from common.mixers.base import Feedback, RewardMixer, SourceSamples, mix_rewards
from common.mixers.decision import StepDecision, StepRewards, rows_per_source
from common.mixers.gdpo import NORMALIZATIONS, apply_conditions, group_standardize, parse_conditions
from common.mixers.mab_reward import MABRewardScaler
from common.mixers.source_stats import (
    STATISTICS,
    check_statistic,
    gathered_source_means,
    gathered_source_samples,
    learned_rewards,
)
from common.rewards.reward_set import RewardSet
from common.rundir.distributed import all_gather_object, rank

__all__ = [
    "GRANULARITIES",
    "STATISTICS",
    "TIME_KEYS",
    "UNTRAINED_MAB_REWARD",
    "RewardStep",
    "StepDecision",
    "StepRewards",
    "build_reward_step",
    "rows_per_source",
]

GRANULARITIES = ("batch", "query")

# The timing keys every trainer logs (seconds; 0.0 for a part a trainer does not have).
TIME_KEYS = (
    "time/context_s",
    "time/mixer_s",
    "time/generate_s",
    "time/reward_s",
    "time/fwd_bwd_s",
    "time/optimizer_s",
)

# The MAB reward of a prompt (or a step) that trained nothing: its reward model scored
# every sample alike, no preference pair formed, the policy learned nothing. Left
# unrewarded, such an arm would keep its optimistic bound and be picked again and again.
UNTRAINED_MAB_REWARD = 0.0


class RewardStep:
    """Decide, score the chosen sources, mix, feed back and log: once, for every trainer.

    Args:
        mixer: the ``balancer`` group's mixer.
        reward_set: the run's reward sources.
        granularity: ``batch`` or ``query`` (see the module docstring).
        context: ``prompts -> (G, d)`` per-prompt contexts (``common.mixers.context``);
            needed when ``mixer.needs_context``.
        mab: LASeR's MAB reward scaler; needed when ``mixer.learns_from_scalar``.
        transform: ``(B, N) raw -> (B, N) scaled`` scores (DRBO's standardizer); identity
            when None.
        normalize: ``none`` or ``gdpo`` (each source standardized within its prompt group
            before the weights, :mod:`common.mixers.gdpo`).
        conditions: GDPO's conditioned rewards ``{reward: {gate, threshold}}``.
        statistic: ``scaled`` or ``raw``: what a mixer that learns from the sources' rewards
            is fed (module docstring).
    """

    def __init__(
        self,
        mixer: RewardMixer,
        reward_set: RewardSet,
        *,
        granularity: str = "batch",
        context: Callable[[list[str]], np.ndarray] | None = None,
        mab: MABRewardScaler | None = None,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
        normalize: str = "none",
        conditions: Any = None,
        statistic: str = "scaled",
    ) -> None:
        if normalize not in NORMALIZATIONS:
            raise ValueError(
                f"balancer.normalize={normalize!r}; allowed values: {', '.join(NORMALIZATIONS)}"
            )
        check_statistic(statistic, mixer)
        if granularity not in GRANULARITIES:
            raise ValueError(
                f"balancer.granularity={granularity!r}; allowed values: {', '.join(GRANULARITIES)}"
            )
        if granularity == "query" and mixer.learns_from_sources:
            raise ValueError(
                f"balancer.granularity=query: balancer {type(mixer).__name__} learns from each "
                "step's mean reward per source, not per prompt; use granularity=batch, or a "
                "bandit (linucb, exp3, random) or a fixed mixer (static, single, sequential)"
            )
        if mixer.needs_context and context is None:
            raise ValueError(f"{type(mixer).__name__} needs a context function")
        if list(mixer.names) != list(reward_set.names):
            raise ValueError(f"mixer sources {mixer.names} differ from rewards {reward_set.names}")
        self.mixer = mixer
        self.reward_set = reward_set
        self.granularity = granularity
        self.context_fn = context
        self.mab = mab if mab is not None else MABRewardScaler()
        self.transform = transform
        self.normalize = normalize
        self.statistic = statistic
        self.conditions = parse_conditions(conditions, reward_set.names)
        self.timings: dict[str, float] = {}
        self._last_means: dict[str, float] | None = None

    @property
    def names(self) -> list[str]:
        return self.reward_set.names

    @property
    def decides_before_data(self) -> bool:
        """Whether the decision can come before the batch (no context needed): multi-type
        runs then draw the batch by the weights (:func:`rows_per_source`)."""
        return not self.mixer.needs_context and self.granularity == "batch"

    def _add_time(self, key: str, seconds: float) -> None:
        self.timings[key] = self.timings.get(key, 0.0) + seconds

    # ---- (1) context and (2) decision ---------------------------------------------------------
    def decide(self, step: int, prompts: Sequence[str] | None = None) -> StepDecision:
        """The step's decision. ``prompts`` are this rank's formatted prompts (G); None
        decides before the batch is drawn (only for :attr:`decides_before_data`)."""
        self.timings = {}
        self._last_means = None
        local: np.ndarray | None = None
        if self.mixer.needs_context or self.granularity == "query":
            if prompts is None:
                raise ValueError("this mixer decides from the prompts: pass them to decide()")
        if self.mixer.needs_context:
            t0 = time.perf_counter()
            local = np.asarray(self.context_fn(list(prompts)), dtype=np.float64)  # (G, d)
            self._add_time("time/context_s", time.perf_counter() - t0)
        t0 = time.perf_counter()
        if self.granularity == "batch":
            context = None
            if local is not None:
                # the mean over every rank's prompts: the same vector, bit for bit, on all ranks
                context = np.concatenate(all_gather_object(local), axis=0).mean(0)
            decision = StepDecision(step, batch=self.mixer.decide(step, context), context=context)
        else:
            g = len(prompts)
            parts = all_gather_object(local if local is not None else g)
            contexts: list[np.ndarray | None] = []
            sizes = []
            for part in parts:
                contexts += [None] * part if isinstance(part, int) else list(part)
                sizes.append(part if isinstance(part, int) else len(part))
            decisions = [self.mixer.decide(step, c) for c in contexts]
            start = sum(sizes[: rank()])  # this rank's prompts, in the gathered order
            decision = StepDecision(
                step,
                per_prompt=decisions[start : start + g],
                contexts=local,
                all_decisions=decisions,
                all_contexts=contexts,
            )
        self._add_time("time/mixer_s", time.perf_counter() - t0)
        return decision

    # ---- (3) score the chosen sources and (4) mix ------------------------------------------
    def sources_to_score(self, weights: np.ndarray) -> np.ndarray:
        """(B, N) bool: which source scores which row. The sources with weight > 0, or all
        of them for a mixer that learns from every source's reward."""
        if self.mixer.learns_from_sources:
            return np.ones_like(weights, dtype=bool)
        return np.asarray(weights) > 0

    def score(
        self,
        decision: StepDecision,
        examples: Sequence[Any],
        texts: Sequence[str],
        n: int = 1,
        step: int | None = None,
    ) -> StepRewards:
        """Score ``texts`` (G * n rows, prompt-major) of the G ``examples`` by the chosen
        sources only and mix them into one reward per row."""
        t0 = time.perf_counter()
        G = len(examples)
        if len(texts) != G * n:
            raise ValueError(f"{len(texts)} texts for {G} prompts x {n} samples")
        weights = decision.row_weights(G, n)  # (B, N)
        rows = [ex for ex in examples for _ in range(n)]
        allow = self.sources_to_score(weights)
        for k, gate, _ in self.conditions:  # a conditioned reward needs its gate scored
            allow[:, gate] |= allow[:, k]
        table = self.reward_set.score(rows, list(texts), step=step, allow=allow)
        raw = apply_conditions(table.scores, table.mask, self.conditions)
        scaled = raw if self.transform is None else self.transform(raw)
        scaled = np.where(table.mask, scaled, 0.0)
        to_mix = group_standardize(scaled, table.mask, n) if self.normalize == "gdpo" else scaled
        mixed = mix_rewards(to_mix, table.mask, weights)
        self._add_time("time/reward_s", time.perf_counter() - t0)
        return StepRewards(table, scaled, mixed, G, n, raw=np.where(table.mask, raw, 0.0))

    # ---- (5) feedback -----------------------------------------------------------------------
    def learned(self, rewards: StepRewards, statistic: str | None = None) -> np.ndarray:
        """(B, N) rewards of ``statistic`` (default: ``balancer.statistic``) for the mixer."""
        return learned_rewards(rewards, statistic or self.statistic)

    def source_means(self, rewards: StepRewards, statistic: str = "scaled") -> dict[str, float]:
        """Mean reward per source over every rank's rows that it scored (all ranks agree)."""
        return gathered_source_means(self.names, rewards, statistic)

    def gathered_samples(self, rewards: StepRewards) -> SourceSamples:
        """Every rank's (B, N) scores of ``balancer.statistic``, mask and group ids."""
        return gathered_source_samples(rewards, self.statistic)

    def feedback(
        self,
        decision: StepDecision,
        rewards: StepRewards,
        loss: float | None | Sequence[float | None],
    ) -> float | None:
        """Teach the mixer from the step; returns the MAB reward (None when the mixer does
        not learn from one).

        ``loss`` is this rank's training loss (None: this rank trained nothing), or per
        query one loss per local prompt (None for a prompt without a preference pair). Per
        batch the MAB reward scales the mean loss of the ranks that trained (0.0 when none
        did); per query each prompt's arm learns the MAB reward of its own loss (a float
        ``loss`` then counts for every prompt), and the returned figure is their mean.
        """
        t0 = time.perf_counter()
        means = self.source_means(rewards)
        self._last_means = means  # the scaled/<m> figures, whatever the mixer learns from
        if self.statistic != "scaled":  # validated: only mixers that learn from sources
            means = self.source_means(rewards, self.statistic)
        scalar_needed = self.mixer.learns_from_scalar
        if self.granularity == "batch":
            if isinstance(loss, Sequence):
                raise TypeError("per-batch feedback takes one loss (a float or None)")
            mab_reward = None
            if scalar_needed:
                losses = [x for x in all_gather_object(loss) if x is not None]
                mab_reward = self.mab(float(np.mean(losses))) if losses else UNTRAINED_MAB_REWARD
            samples = self.gathered_samples(rewards) if self.mixer.learns_from_samples else None
            self.mixer.update(
                Feedback(
                    step=decision.step,
                    arm=decision.arm,
                    source_rewards=means,
                    scalar=mab_reward,
                    context=decision.context,
                    samples=samples,
                )
            )
        else:
            g = rewards.num_prompts
            local = list(loss) if isinstance(loss, Sequence) else [loss] * g
            if len(local) != g:
                raise ValueError(f"{len(local)} per-prompt losses for {g} prompts")
            everyone = [x for part in all_gather_object(local) for x in part]
            scalars: list[float] = []
            for d, c, x in zip(
                decision.all_decisions, decision.all_contexts, everyone, strict=True
            ):
                r = None
                if scalar_needed:
                    r = UNTRAINED_MAB_REWARD if x is None else self.mab(float(x))
                    scalars.append(r)
                self.mixer.update(Feedback(step=decision.step, arm=d.arm, scalar=r, context=c))
            mab_reward = float(np.mean(scalars)) if scalars else None
        self._add_time("time/mixer_s", time.perf_counter() - t0)
        return mab_reward

    # ---- (6) log ----------------------------------------------------------------------------
    def figures(
        self, decision: StepDecision, rewards: StepRewards, mab_reward: float | None
    ) -> dict[str, Any]:
        """``reward/<m>`` (raw batch mean), ``parse_fail/<m>``, ``scaled/<m>`` (every rank's
        mean, with a transform), ``weight/<m>`` (per query: the share of prompts), ``arm``
        (only when the arm decided the reward or the data; a sampled metric that did
        neither is ``sampled_metric``), ``arms`` (per query, this rank's, comma-joined in
        batch order), ``mab_reward`` and ``reward`` (mean mixed reward)."""
        figures: dict[str, Any] = rewards.table.log_dict()
        if self.transform is not None:
            means = self._last_means if self._last_means is not None else self.source_means(rewards)
            figures.update({f"scaled/{m}": v for m, v in means.items()})
        figures.update(
            {f"weight/{m}": float(w) for m, w in zip(self.names, decision.weights, strict=True)}
        )
        if decision.batch is not None and decision.arm is not None:
            one_hot = decision.batch.weights[decision.arm] == 1.0
            key = "arm" if one_hot or decision.arm_chose_data else "sampled_metric"
            figures[key] = self.names[decision.arm]
        if decision.per_prompt and all(d.arm is not None for d in decision.per_prompt):
            figures["arms"] = ",".join(self.names[d.arm] for d in decision.per_prompt)
        figures["mab_reward"] = mab_reward
        figures["reward"] = float(rewards.mixed.mean())
        return figures

    def time_figures(self, **parts: float) -> dict[str, float]:
        """Every key of :data:`TIME_KEYS`: the step's own timings plus the trainer's
        ``parts`` (``generate_s=..., fwd_bwd_s=..., optimizer_s=...``), 0.0 where absent."""
        out = {k: 0.0 for k in TIME_KEYS}
        out.update(self.timings)
        for name, seconds in parts.items():
            key = f"time/{name}"
            if key not in out:
                raise KeyError(f"unknown timing {name!r}; allowed: {', '.join(TIME_KEYS)}")
            out[key] += float(seconds)
        return out

    # ---- checkpoints ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"mixer": self.mixer.state_dict(), "mab": self.mab.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mixer.load_state_dict(state["mixer"])
        self.mab.load_state_dict(state["mab"])


def build_reward_step(
    cfg: Any,
    reward_set: RewardSet,
    model: Callable[[], Any],
    tokenizer: Any,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> RewardStep:
    """The run's reward step from its config: the ``balancer`` group's mixer (and its
    ``granularity``), the context of ``trainer.context`` computed by ``model()`` (called at
    each decision, so it sees the current weights) and ``trainer.mab_reward``."""
    from common.mixers.base import build_run_mixer
    from common.mixers.config import reward_step_options
    from common.mixers.context import prompt_contexts

    tr = cfg.trainer
    kind = tr.context

    def context(prompts: list[str]) -> np.ndarray:
        return prompt_contexts(model(), tokenizer, prompts, kind)

    return RewardStep(
        build_run_mixer(cfg.balancer, reward_set.names),
        reward_set,
        **reward_step_options(cfg.balancer),
        context=context,
        mab=MABRewardScaler(**tr.mab_reward),
        transform=transform,
    )
