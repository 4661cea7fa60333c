"""Verifiable instruction-following rewards on IFEval-format rows (gold from common/data/ifeval).

One scorer per IFEval constraint family (DRBO's metrics on the testbed): the strict pass rate
of that family's instructions in the row,

    r_f(y) = |{i in I_f : strict_i(y)}| / |I_f|,   I_f = the row's instructions of family f,

0 where the row has none (``rewards.routing=listed`` masks those cells out, so the value is
never used). And ``if_verifier``, a reward source for LASeR's arms: the strict pass rate of
all the row's instructions (``level=instruction``) or 1 when all pass (``level=prompt``),
optionally corrupted: each instruction's verdict is flipped with probability ``flip_prob``
(0.5 makes it pure noise), drawn from a hash of (seed, response, instruction index) so a
response always gets the same noisy score.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from common.data.ifeval import family_metric
from common.rewards.base import RewardOutput, Scorer, gold_parse_problem
from common.rewards.ifeval_checks import IFEVAL, check_response
from common.rewards.registry import SCORERS


def _instructions(gold: Any) -> tuple[list[str], list[dict], str]:
    if not isinstance(gold, dict) or "instruction_id_list" not in gold:
        raise ValueError(
            "an instruction-following reward needs IFEval-format gold "
            "({instruction_id_list, kwargs}); load the data with dataset.kind=ifeval"
        )
    return list(gold["instruction_id_list"]), list(gold["kwargs"]), gold.get("registry", IFEVAL)


class InstructionFamilyScorer(Scorer):
    """Strict pass rate of one family's instructions (subclasses set ``name``)."""

    @classmethod
    def gold_problem(cls, gold: Any, options: Any = None) -> str | None:
        return gold_parse_problem(_instructions, gold)

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        scores = np.zeros(len(outputs))
        for i, (prompt, output, gold) in enumerate(zip(prompts, outputs, golds, strict=True)):
            ids, kwargs, registry = _instructions(gold)
            mine = [j for j, iid in enumerate(ids) if family_metric(iid, registry) == self.name]
            if not mine:
                continue
            checks = check_response(
                prompt,
                output,
                [ids[j] for j in mine],
                [kwargs[j] for j in mine],
                registry,
                loose=False,
            )
            scores[i] = sum(c.strict for c in checks) / len(checks)
        return RewardOutput(self.name, scores, np.zeros(len(outputs), dtype=bool))


@SCORERS.register("if_keywords")
class KeywordsFamily(InstructionFamilyScorer):
    """``keywords:*`` (include / repeat / forbid words, letter frequency)."""


@SCORERS.register("if_length")
class LengthFamily(InstructionFamilyScorer):
    """``length_constraints:*`` (words, sentences, paragraphs)."""


@SCORERS.register("if_format")
class FormatFamily(InstructionFamilyScorer):
    """``detectable_format:*`` (bullets, title, highlights, sections, JSON)."""


@SCORERS.register("if_case")
class CaseFamily(InstructionFamilyScorer):
    """``change_case:*`` (all-capital words, lowercase, uppercase)."""


@SCORERS.register("if_punctuation")
class PunctuationFamily(InstructionFamilyScorer):
    """``punctuation:no_comma``."""


@SCORERS.register("if_startend")
class StartEndFamily(InstructionFamilyScorer):
    """``startend:*`` (end phrase, quotation marks)."""


@SCORERS.register("if_content")
class ContentFamily(InstructionFamilyScorer):
    """``detectable_content:*`` (postscript, placeholders)."""


@SCORERS.register("if_language")
class LanguageFamily(InstructionFamilyScorer):
    """``language:response_language``."""


@SCORERS.register("if_combination")
class CombinationFamily(InstructionFamilyScorer):
    """``combination:*`` (repeat the prompt, two responses)."""


@SCORERS.register("if_verifier")
class InstructionVerifier(Scorer):
    """All of a row's instructions, strict; optionally with verdicts flipped at random.

    Args:
        level: ``instruction`` (fraction passed) or ``prompt`` (1 when all pass).
        flip_prob: probability of flipping each verdict, in [0, 0.5] (0.5: pure noise).
        seed: the noise's seed.
    """

    @classmethod
    def gold_problem(cls, gold: Any, options: Any = None) -> str | None:
        return gold_parse_problem(_instructions, gold)

    def __init__(self, level: str = "instruction", flip_prob: float = 0.0, seed: int = 0):
        if level not in ("instruction", "prompt"):
            raise ValueError(f"if_verifier level={level!r}; allowed values: instruction, prompt")
        if not 0.0 <= flip_prob <= 0.5:
            raise ValueError(f"if_verifier flip_prob={flip_prob} must be in [0, 0.5]")
        self.level = level
        self.flip_prob = float(flip_prob)
        self.seed = int(seed)

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        scores = np.zeros(len(outputs))
        for i, (prompt, output, gold) in enumerate(zip(prompts, outputs, golds, strict=True)):
            ids, kwargs, registry = _instructions(gold)
            verdicts = np.array(
                [c.strict for c in check_response(prompt, output, ids, kwargs, registry, False)]
            )
            if self.flip_prob > 0:
                rng = np.random.default_rng([self.seed, zlib.crc32(output.encode("utf-8"))])
                verdicts = verdicts ^ (rng.random(len(verdicts)) < self.flip_prob)
            scores[i] = verdicts.all() if self.level == "prompt" else verdicts.mean()
        return RewardOutput(self.name, scores, np.zeros(len(outputs), dtype=bool))
