"""The summary fields an evaluation's answers give (common/training/eval_text.py)."""

from __future__ import annotations

import pytest

from common.data.types import Example
from common.training.eval_text import EvalText, text_fields


def ifeval_row() -> Example:
    gold = {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}], "registry": "ifeval"}
    return Example("Describe a tent.", gold, "if_punctuation", task_type="instruction_following")


def test_text_fields_before_and_after_on_ifeval_rows():
    rows = [ifeval_row(), ifeval_row()]
    before = EvalText.of(rows, ["a, b", "no comma here"])  # 1 of 2 passes
    after = EvalText.of(rows, ["a b", "no comma here"])  # 2 of 2
    fields = text_fields(before, after)
    assert fields["eval_official"]["before"]["ifeval/prompt_strict"] == 0.5
    assert fields["eval_official"]["after"]["ifeval/prompt_strict"] == 1.0
    d = fields["eval_official_ci"]["difference"]["ifeval/prompt_strict"]
    assert d["value"] == pytest.approx(0.5) and d["n"] == 2
    assert fields["answers"]["after"] == {"n": 2, "words": 2.5, "distinct3": 1.0, "looping": 0.0}


def test_text_fields_off_ifeval_rows_and_without_evaluations():
    plain = [Example("2+2?", "4", "math_exact")]
    fields = text_fields(None, EvalText.of(plain, ["4"]))
    assert fields["eval_official"] == {"before": {}, "after": {}}
    assert fields["eval_official_ci"] == {}
    assert fields["answers"]["before"] == {} and fields["answers"]["after"]["n"] == 1
    assert text_fields(None, None)["answers"] == {"before": {}, "after": {}}
