"""IFEval's official accuracies, hand-computed (the evaluate CLI on IFEval-format files:
tests/experiments/test_evaluate_ifeval.py)."""

from __future__ import annotations

import pytest

from common.data.types import Example
from common.evaluation.ifeval import accuracies, check_predictions, official_scores, score_ifeval
from common.rewards.ifeval_checks import InstructionCheck


def ex(*instructions):
    g = {
        "instruction_id_list": [i for i, _ in instructions],
        "kwargs": [k for _, k in instructions],
        "registry": "ifeval",
    }
    return Example("prompt", g, "if_x", task_type="instruction_following")


NO_COMMA = ("punctuation:no_comma", {})
LOWER = ("change_case:english_lowercase", {})
TENT = ("keywords:existence", {"keywords": ["tent"]})


def test_accuracies_by_hand():
    C = InstructionCheck
    checks = [
        [C("punctuation:no_comma", True, True), C("keywords:existence", False, True)],
        [C("change_case:english_lowercase", True, True)],
        [C("keywords:existence", False, False, error="LookupError: x")],
    ]
    acc = accuracies(checks)
    # prompts: only #2 passes strictly (1/3); loose: #1 and #2 (2/3)
    assert acc["prompt_strict"] == pytest.approx(1 / 3)
    assert acc["prompt_loose"] == pytest.approx(2 / 3)
    # instructions: 2 of 4 strict, 3 of 4 loose (micro over instructions)
    assert acc["instruction_strict"] == pytest.approx(0.5)
    assert acc["instruction_loose"] == pytest.approx(0.75)
    assert acc["per_family"] == {"change_case": 1.0, "keywords": 0.0, "punctuation": 1.0}
    assert acc["family_counts"]["keywords"] == 2 and acc["unscorable"] == {"keywords:existence": 1}


def test_score_ifeval_contract():
    examples = [ex(NO_COMMA, TENT), ex(LOWER), ex(NO_COMMA)]
    predictions = ["A tent, yes.", "all lower", None]  # None scores 0
    checks = check_predictions(examples, predictions)
    assert [[c.strict for c in row] for row in checks] == [[False, True], [True], [False]]
    scores = score_ifeval(examples, predictions)
    assert scores["per_metric"]["prompt_strict"] == pytest.approx(1 / 3)
    assert scores["per_metric"]["instruction_strict"] == pytest.approx(2 / 4)
    assert scores["overall"] == pytest.approx(sum(scores["per_metric"].values()) / 4)
    assert scores["per_task"]["punctuation"] == 0.0 and scores["per_task"]["keywords"] == 1.0


def test_official_scores_only_for_ifeval_rows():
    examples = [ex(NO_COMMA, TENT), ex(LOWER)]
    scores = official_scores(examples, ["a tent yes", "Upper"])
    assert scores["ifeval/prompt_strict"] == 0.5 and scores["ifeval/instruction_strict"] == 2 / 3
    assert official_scores([Example("p", "4", "math_exact")], ["4"]) == {}
