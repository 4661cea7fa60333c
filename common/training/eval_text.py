"""What an evaluation's answers tell beyond the reward rows: IFEval's official verdicts (on
IFEval-format rows) and the answers' length and repetition. A run keeps one record for the
evaluation before training and one for the last; :func:`text_fields` turns them into the
summary's ``eval_official``, ``eval_official_ci`` and ``answers``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from common.data.types import Example
from common.evaluation.answer_stats import answer_stats
from common.evaluation.ifeval import official_checks, official_from_checks, official_intervals


@dataclass
class EvalText:
    """One evaluation's answers, reduced.

    Attributes:
        checks: per prompt, its instructions' verdicts (IFEval-format rows), else None.
        answers: :func:`common.evaluation.answer_stats.answer_stats` of the answers.
    """

    checks: list | None = None
    answers: dict = field(default_factory=dict)

    @classmethod
    def of(cls, examples: Sequence[Example], texts: Sequence[str]) -> EvalText:
        return cls(official_checks(examples, texts), answer_stats(texts))

    @property
    def official(self) -> dict[str, float]:
        """IFEval's four accuracies ``{"ifeval/prompt_strict": ...}`` ({} off IFEval rows)."""
        return official_from_checks(self.checks)


def text_fields(before: EvalText | None, after: EvalText | None) -> dict[str, Any]:
    """The summary's fields from the records before and after training (either may be None:
    not evaluated in this process)."""
    before, after = before or EvalText(), after or EvalText()
    return {
        # official IFEval accuracies (IFEval-format eval rows only; "before" only when
        # evaluated in this process, not restored by a resume)
        "eval_official": {"before": before.official, "after": after.official},
        # their intervals and paired after-before differences, per accuracy and family
        "eval_official_ci": official_intervals(before.checks, after.checks),
        # words, distinct-3 and looping share of the eval answers
        "answers": {"before": before.answers, "after": after.answers},
    }
