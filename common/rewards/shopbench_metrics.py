"""ShopBench / Shopping MMLU structured-answer metrics: multiple choice, retrieval, ranking, NER.

Each scorer parses the raw output with :mod:`common.rewards.shopbench_parsing` (official
semantics) and compares it with the gold field as ShopBench stores it. Unparseable, empty,
None or oversized outputs score 0 with ``parse_failed=True``; they never raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from common.rewards.base import RewardOutput, Scorer, micro_f1
from common.rewards.registry import SCORERS
from common.rewards.shopbench_parsing import (
    MAX_OUTPUT_CHARS,
    parse_multiple_choice,
    parse_ner,
    parse_ranking,
    parse_retrieval,
)


class _ParsedScorer(Scorer):
    """A scorer whose per-sample score is a pure function of (parsed output, gold)."""

    @classmethod
    def gold_problem(cls, gold: Any, options: Any = None) -> str | None:
        from common.data.shopping_mmlu import gold_problem  # the loader's rule, kept once

        return gold_problem(cls.name, gold)

    def __init__(self, max_chars: int = MAX_OUTPUT_CHARS) -> None:
        self.max_chars = max_chars

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        scores = np.zeros(len(outputs), dtype=np.float64)
        failed = np.zeros(len(outputs), dtype=bool)
        for i, (output, gold) in enumerate(zip(outputs, golds, strict=True)):
            value, failed[i] = self.parse(output)
            if not failed[i]:
                scores[i] = self.compare(value, gold)
        return RewardOutput(self.name, scores, failed)

    def parse(self, output: Any) -> tuple[Any, bool]:
        raise NotImplementedError

    def compare(self, value: Any, gold: Any) -> float:
        raise NotImplementedError


@SCORERS.register("mc_accuracy")
class MultipleChoiceAccuracy(_ParsedScorer):
    """1 when the output's first character is the gold option's int, else 0. Gold: int."""

    def parse(self, output: Any) -> tuple[int, bool]:
        return parse_multiple_choice(output, self.max_chars)

    def compare(self, value: int, gold: Any) -> float:
        return float(value == int(gold))


@SCORERS.register("hit_at_3")
class HitAt3(_ParsedScorer):
    """|set(gold) ∩ set(top-3 predicted)| / len(gold) (official: the gold list's length, so a
    repeated gold index counts twice in the denominator). Gold: list of ints, the relevant item
    indices; an empty gold list scores 0 (officially a ZeroDivisionError)."""

    def parse(self, output: Any) -> tuple[list[int], bool]:
        return parse_retrieval(output, self.max_chars)

    def compare(self, value: list[int], gold: Any) -> float:
        truth = _as_list(gold, self.name)
        return len(set(truth).intersection(value)) / len(truth) if truth else 0.0


@SCORERS.register("ndcg")
class NDCG(_ParsedScorer):
    """NDCG of a predicted ranking of candidates 1..n. Gold: one relevance weight per
    candidate, shape (n,), e.g. ``[1, 0.01, 0.1, 1, 0]`` (candidate 2 has weight 0.01)."""

    def parse(self, output: Any) -> tuple[list[int], bool]:
        return parse_ranking(output, self.max_chars)

    def compare(self, value: list[int], gold: Any) -> float:
        return ndcg(value, [float(w) for w in _as_list(gold, self.name)])


def ndcg(ranking: Sequence[int], weights: Sequence[float]) -> float:
    """NDCG with gain 2^rel - 1 and discount log2(i + 1) for 1-based position i.

    ``ranking`` holds 1-based candidate indices (non-negative ints: the parser keeps no
    sign) and is cut to ``len(weights)``; an index past the list gains nothing. Index 0 takes
    ``weights[-1]``, the last candidate's weight, exactly as the official
    ``weights[index - 1]`` lookup does. The ideal DCG ranks the weights high to low; when it
    is 0 (all weights 0) the NDCG is 0.
    """
    n = len(weights)
    dcg = 0.0
    for position, index in enumerate(ranking[:n], start=1):
        relevance = weights[index - 1] if index - 1 < n else 0.0
        dcg += (2.0**relevance - 1.0) / np.log2(position + 1)
    ideal = sum(
        (2.0**relevance - 1.0) / np.log2(position + 1)
        for position, relevance in enumerate(sorted(weights, reverse=True), start=1)
    )
    return float(dcg / ideal) if ideal > 0 else 0.0


@SCORERS.register("ner_f1")
class NERF1(Scorer):
    """Entity-set F1. Gold: list of entity strings. Per-sample score = that sample's F1 (a
    dense training reward); the task score is micro-F1 over summed tp/fp/fn counts, which
    ``RewardOutput.counts`` carries, shape (B,) each.

    tp = |set(pred) ∩ set(gold)|, fp = len(pred) - tp, fn = len(gold) - tp (official: a
    repeated predicted entity counts as a false positive). Predictions are lowercased and
    stripped, gold entities only lowercased, as in the official metric.
    """

    aggregation = "micro_f1"

    @classmethod
    def gold_problem(cls, gold: Any, options: Any = None) -> str | None:
        from common.data.shopping_mmlu import gold_problem

        return gold_problem(cls.name, gold)

    def __init__(self, max_chars: int = MAX_OUTPUT_CHARS) -> None:
        self.max_chars = max_chars

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        b = len(outputs)
        scores = np.zeros(b, dtype=np.float64)
        failed = np.zeros(b, dtype=bool)
        tp, fp, fn = (np.zeros(b, dtype=np.int64) for _ in range(3))
        for i, (output, gold) in enumerate(zip(outputs, golds, strict=True)):
            predicted, failed[i] = parse_ner(output, self.max_chars)
            truth = _gold_entities(gold)
            tp[i] = len(set(predicted) & set(truth))
            fp[i] = len(predicted) - tp[i]
            fn[i] = len(truth) - tp[i]
            scores[i] = micro_f1(tp[i], fp[i], fn[i])
        return RewardOutput(self.name, scores, failed, counts={"tp": tp, "fp": fp, "fn": fn})


def _gold_entities(gold: Any) -> list[str]:
    # Gold is a list in ShopBench files; a string gold is parsed like an output would be.
    if isinstance(gold, str):
        return parse_ner(gold)[0]
    return [str(x).lower() for x in _as_list(gold, "ner_f1")]


def _as_list(gold: Any, metric: str) -> list:
    if not isinstance(gold, (list, tuple)):
        raise ValueError(f"{metric}: gold must be a list, got {type(gold).__name__}: {gold!r}")
    return list(gold)
