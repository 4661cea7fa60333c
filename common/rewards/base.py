"""The scorer contract every metric and reward model implements.

A scorer takes a batch of (prompt, output, gold) triples and returns one float per sample in
[0, 1] plus a parse-failure flag per sample. It knows its direction (higher is better for
every metric here) and how a task aggregates it: ``mean`` over rows, ``micro_f1`` where
per-sample true/false positive and false negative counts are summed over the task first, or
``mean_scored``: the mean over the rows whose ``counts["scored"]`` is 1 (ALCE's citation
averaging skips outputs with no sentence; their per-sample score stays 0 as a reward), or
``mean_reported``: the mean of ``counts["reported"]``, a per-row score by the official rule
where it differs from the training reward (ALCE STR-EM on an empty output).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Aggregation = Literal["mean", "micro_f1", "mean_scored", "mean_reported"]

# Longer outputs are degenerate generations (no configured budget comes near); scoring them
# would only cost superlinear time in the text metrics and memory in the embedders.
MAX_SCORABLE_CHARS = 32_768
# Characters no readable answer holds: C0/C1 controls other than tab, newline and carriage
# return (NUL included), and lone surrogates, which cannot even be encoded as UTF-8 and make
# tokenizers and ``str.encode`` raise.
_UNSCORABLE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def unscorable_reason(output: Any, max_chars: int = MAX_SCORABLE_CHARS) -> str | None:
    """Why ``output`` is junk that no scorer should see, or None when it is scorable text.

    Junk: not a string, empty after stripping, longer than ``max_chars``, or holding a
    control character or a lone surrogate (not UTF-8-safe).
    """
    if not isinstance(output, str):
        return f"not a string ({type(output).__name__})"
    if len(output) > max_chars:
        return f"longer than {max_chars} characters ({len(output)})"
    if not output.strip():
        return "empty"
    bad = _UNSCORABLE_CHARS.search(output)
    if bad is not None:
        return f"holds the character U+{ord(bad.group()):04X} at {bad.start()}"
    return None


@dataclass
class RewardOutput:
    """Scores of one scorer on one batch.

    Attributes:
        name: the scorer's registry name.
        scores: float array, shape (B,), each in [0, 1].
        parse_failed: bool array, shape (B,); True where the output could not be parsed (the
            score is then 0).
        counts: optional per-sample integer counts, each an array of shape (B,), e.g.
            ``{"tp": ..., "fp": ..., "fn": ...}`` for micro-F1 aggregation.
    """

    name: str
    scores: np.ndarray
    parse_failed: np.ndarray
    counts: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.scores = np.asarray(self.scores, dtype=np.float64)
        self.parse_failed = np.asarray(self.parse_failed, dtype=bool)
        if self.scores.shape != self.parse_failed.shape:
            raise ValueError(
                f"{self.name}: scores {self.scores.shape} and parse_failed "
                f"{self.parse_failed.shape} differ in shape"
            )

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @property
    def mean(self) -> float:
        return float(self.scores.mean()) if len(self) else 0.0

    def log_dict(self, prefix: str = "reward") -> dict[str, float]:
        """Flat figures for metrics.jsonl / W&B: batch mean and parse-failure count."""
        return {
            f"{prefix}/{self.name}": self.mean,
            f"parse_fail/{self.name}": int(self.parse_failed.sum()),
        }

    @staticmethod
    def concat(outputs: Sequence[RewardOutput]) -> RewardOutput:
        """Join several batches of the same scorer, shape (sum B_i,)."""
        if not outputs:
            raise ValueError("concat needs at least one RewardOutput")
        names = {o.name for o in outputs}
        if len(names) != 1:
            raise ValueError(f"cannot concat outputs of different scorers: {sorted(names)}")
        keys = set(outputs[0].counts)
        return RewardOutput(
            name=outputs[0].name,
            scores=np.concatenate([o.scores for o in outputs]),
            parse_failed=np.concatenate([o.parse_failed for o in outputs]),
            counts={k: np.concatenate([o.counts[k] for o in outputs]) for k in keys},
        )


class Scorer(ABC):
    """One metric or reward model. Subclasses set ``name`` (via the registry) and implement
    :meth:`score`. Scorers that hold a model load it once in ``__init__`` and batch their work.
    """

    name: str = "unnamed"
    higher_is_better: bool = True
    aggregation: Aggregation = "mean"

    @abstractmethod
    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        """Score a batch. All three sequences have length B; returns scores of shape (B,)."""

    def __call__(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        """Score a batch, with junk outputs (see :func:`unscorable_reason`, applied to
        :meth:`scored_part`) scoring 0 as parse failures: every scorer gets this guarantee
        here, once, instead of each one having to survive NUL bytes, lone surrogates and
        200k-character generations."""
        if not (len(prompts) == len(outputs) == len(golds)):
            raise ValueError(
                f"{self.name}: prompts ({len(prompts)}), outputs ({len(outputs)}) and golds "
                f"({len(golds)}) must have the same length"
            )
        # Only the part a scorer reads is guarded: ALCE scores the first line, ShopBench the
        # first 5000 characters, so junk after that part must not zero a scorable row.
        junk = np.array(
            [unscorable_reason(self.scored_part(o)) is not None for o in outputs], dtype=bool
        )
        # Junk becomes "" rather than being dropped, so count-carrying scorers (NER's
        # tp/fp/fn) still count the gold's entities as missed on those rows.
        clean = ["" if bad else o for o, bad in zip(outputs, junk, strict=True)]
        out = self.score(prompts, clean, golds)
        if len(out) != len(outputs):
            raise ValueError(
                f"{self.name}: returned {len(out)} scores for a batch of {len(outputs)} outputs"
            )
        out.scores = np.where(junk, 0.0, out.scores)
        out.parse_failed = out.parse_failed | junk
        return out

    @classmethod
    def gold_problem(cls, gold: Any, options: Mapping[str, Any] | None = None) -> str | None:
        """Why this scorer cannot read ``gold`` (an :class:`Example`'s gold), or None when it
        can. ``options`` are the source's ``rewards.options``. Default: None, for scorers that
        read no gold (reward models, heuristics). A scorer that reads one overrides this, so a
        run is refused before it starts instead of scoring every row 0 as if measured
        (``mc_accuracy`` on GSM8K): :meth:`common.rewards.reward_set.RewardSet.check_scorable`."""
        return None

    def scored_part(self, output: Any) -> Any:
        """The part of ``output`` this scorer reads, which is what the junk guard checks.

        Default: the first ``self.max_chars`` characters for scorers that cut outputs there
        (the ShopBench scorers: the official evaluator truncates every response to 5000
        characters before parsing), else the whole output. Non-strings pass through.
        """
        limit = getattr(self, "max_chars", None)
        if isinstance(output, str) and isinstance(limit, int):
            return output[:limit]
        return output

    def aggregate(self, output: RewardOutput) -> float:
        """Task-level score from all of a task's rows (0-1 scale)."""
        if self.aggregation == "micro_f1":
            tp = float(output.counts["tp"].sum())
            fp = float(output.counts["fp"].sum())
            fn = float(output.counts["fn"].sum())
            return micro_f1(tp, fp, fn)
        if self.aggregation == "mean_reported":
            # rows saved before counts["reported"] existed (a resumed checkpoint) keep scores
            reported = output.counts.get("reported", output.scores)
            return float(reported.mean()) if len(output) else 0.0
        if self.aggregation == "mean_scored":
            scored = output.counts["scored"].astype(bool)
            return float(output.scores[scored].mean()) if scored.any() else 0.0
        return output.mean


def gold_parse_problem(parse: Callable[[Any], Any], gold: Any) -> str | None:
    """The message of the error ``parse(gold)`` raises (ValueError, TypeError, KeyError), or
    None when it parses: a scorer's own gold reader doubles as its :meth:`Scorer.gold_problem`."""
    try:
        parse(gold)
    except (ValueError, TypeError, KeyError) as err:
        return str(err.args[0]) if err.args else type(err).__name__
    return None


def micro_f1(tp: float, fp: float, fn: float) -> float:
    """F1 from summed counts; 0 when there is nothing to be precise or recall-ful about."""
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
