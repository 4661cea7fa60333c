"""GSM8K-style final-answer exactness (``math_exact``).

The final answer is taken from the output by the first rule that matches, each taking its
last occurrence: ``#### n``; ``\\boxed{n}``; ``Final answer: n`` / ``final answer is n``;
``The answer is n``; else the last number in the text. Numbers are normalized (``$``,
thousands commas, a trailing ``.`` and ``%`` dropped; ``a/b`` fractions allowed) and compared
numerically within 1e-6. The gold is a number, a GSM8K solution string ending in
``#### n``, a plain number string, or a dict with an ``answer`` field holding one of those.
An output with no number scores 0 with ``parse_failed``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from common.rewards.base import RewardOutput, Scorer, gold_parse_problem
from common.rewards.registry import SCORERS

# a sign only when it is not a binary minus ("10-3" is 10 and 3, not 10 and -3)
_NUM = r"(?:(?<![\w)])[-+])?\$?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s?/\s?\d+)?\s?%?"
_NUMBER = re.compile(_NUM)
# tried in order; the last match of the first pattern that matches wins
_ANSWER_PATTERNS = [
    re.compile(r"####\s*(" + _NUM + ")"),
    re.compile(r"\\boxed\{\s*(" + _NUM + r")\s*\}"),
    re.compile(r"final answer\s*(?:is)?\s*[:=]?\s*\**\s*(" + _NUM + ")", re.I),
    re.compile(r"the answer is\s*[:=]?\s*\**\s*(" + _NUM + ")", re.I),
]


def to_number(text: str) -> float | None:
    """``"$1,234.50."`` -> 1234.5, ``"3/4"`` -> 0.75, ``"12%"`` -> 12.0; None if not a number."""
    s = re.sub(r"[\s$,]", "", text).rstrip(".").rstrip("%")
    try:
        return float(Fraction(s)) if "/" in s else float(s)
    except (ValueError, ZeroDivisionError):
        return None


def extract_answer(output: Any) -> float | None:
    """The final numeric answer of a model output, or None when it has none."""
    if not isinstance(output, str):
        return None
    for pattern in _ANSWER_PATTERNS:
        matches = pattern.findall(output)
        if matches:
            return to_number(matches[-1])
    numbers = _NUMBER.findall(output)
    return to_number(numbers[-1]) if numbers else None


def gold_number(gold: Any) -> float:
    """The gold answer as a float; raises ValueError for a gold with no number (a data bug)."""
    if isinstance(gold, Mapping) and "answer" in gold:
        return gold_number(gold["answer"])
    if isinstance(gold, (int, float)) and not isinstance(gold, bool):
        return float(gold)
    if isinstance(gold, str):
        value = to_number(gold.rsplit("####", 1)[-1]) if "####" in gold else to_number(gold)
        if value is not None:
            return value
    raise ValueError(f"math_exact: gold {gold!r} is not a number, '#### n' or a number string")


@SCORERS.register("math_exact")
class MathExact(Scorer):
    """1.0 when the extracted final answer equals the gold number (|a - b| <= ``tol``)."""

    @classmethod
    def gold_problem(cls, gold: Any, options: Any = None) -> str | None:
        return gold_parse_problem(gold_number, gold)

    def __init__(self, tol: float = 1e-6) -> None:
        self.tol = tol

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        scores, failed = np.zeros(len(outputs)), np.zeros(len(outputs), dtype=bool)
        for i, (output, gold) in enumerate(zip(outputs, golds, strict=True)):
            target = gold_number(gold)
            answer = extract_answer(output)
            if answer is None or not math.isfinite(answer):
                failed[i] = True
                continue
            scores[i] = float(math.isclose(answer, target, rel_tol=0.0, abs_tol=self.tol))
        return RewardOutput(self.name, scores, failed)
