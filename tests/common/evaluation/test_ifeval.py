"""IFEval's official accuracies, hand-computed (the evaluate CLI on IFEval-format files:
tests/experiments/test_evaluate_ifeval.py)."""

from __future__ import annotations

import numpy as np
import pytest

from common.data.types import Example
from common.evaluation.ifeval import (
    accuracies,
    check_predictions,
    format_report,
    intervals,
    official_intervals,
    official_scores,
    score_ifeval,
)
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


def test_intervals_by_hand_on_a_tiny_set():
    C = InstructionCheck
    checks = [
        [C("punctuation:no_comma", True, True), C("keywords:existence", True, True)],
        [C("keywords:existence", False, True)],
    ]
    ci = intervals(checks)
    # prompt-level strict: prompts pass [1, 0] -> 0.5; resamples give 0, 0.5, 1 -> [0, 1]
    assert ci["per_metric"]["prompt_strict"] == {"value": 0.5, "lo": 0.0, "hi": 1.0, "n": 2}
    # instruction-level strict: 2 of 2 and 0 of 1 -> 2/3 over n = 3 instructions; a
    # resample is 1 (AA), 2/3 (AB) or 0 (BB) -> [0, 1]
    inst = ci["per_metric"]["instruction_strict"]
    assert inst["value"] == pytest.approx(2 / 3)
    assert (inst["lo"], inst["hi"], inst["n"]) == (0.0, 1.0, 3)
    # loose: every instruction passes on both prompts -> exactly 1, zero width
    assert ci["per_metric"]["prompt_loose"] == {"value": 1.0, "lo": 1.0, "hi": 1.0, "n": 2}
    # punctuation lives on prompt A only: its rows are that prompt, so no spread
    assert ci["per_task"]["punctuation"] == {"value": 1.0, "lo": 1.0, "hi": 1.0, "n": 1}
    assert ci["per_task"]["keywords"]["value"] == 0.5 and ci["per_task"]["keywords"]["n"] == 2
    # overall = mean of the four (0.5, 2/3, 1, 1), n = prompts
    assert ci["overall"]["value"] == pytest.approx((0.5 + 2 / 3 + 1 + 1) / 4)
    assert ci["overall"]["n"] == 2 and ci["method"]["resamples"] == 1000


def test_intervals_contain_the_point_and_match_a_recomputation():
    from common.evaluation.stats import percentile_interval, resample_indices

    rng = np.random.default_rng(1)
    families = ["punctuation:no_comma", "keywords:existence", "change_case:english_lowercase"]
    checks = [
        [
            InstructionCheck(families[int(rng.integers(3))], bool(s), bool(s or rng.random() < 0.5))
            for s in rng.random(int(rng.integers(1, 4))) < 0.6
        ]
        for _ in range(30)
    ]
    ci = intervals(checks, resamples=400, seed=7)
    acc = accuracies(checks)
    for k in ("prompt_strict", "instruction_strict", "prompt_loose", "instruction_loose"):
        iv = ci["per_metric"][k]
        assert iv["value"] == pytest.approx(acc[k]) and iv["lo"] <= iv["value"] <= iv["hi"]
    for fam, iv in ci["per_task"].items():
        assert iv["value"] == pytest.approx(acc["per_family"][fam])
        assert iv["lo"] <= iv["value"] <= iv["hi"] and iv["n"] == acc["family_counts"][fam]
    assert ci["per_metric"]["instruction_strict"]["n"] == acc["n_instructions"]
    # instruction-level strict by hand: passed / instructions of the resampled prompts
    idx = resample_indices(30, 400, np.random.default_rng(7))
    by_hand = [
        sum(c.strict for i in row for c in checks[i]) / sum(len(checks[i]) for i in row)
        for row in idx
    ]
    inst = ci["per_metric"]["instruction_strict"]
    assert (inst["lo"], inst["hi"]) == pytest.approx(percentile_interval(np.array(by_hand)))


def test_score_ifeval_n_and_ci_schema():
    examples = [ex(NO_COMMA, TENT), ex(LOWER), ex(NO_COMMA)]
    scores = score_ifeval(examples, ["A tent, yes.", "all lower", None])
    assert set(scores) == {"per_task", "per_metric", "overall", "details", "n", "ci"}
    assert scores["n"] == {
        "per_task": {"change_case": 1, "keywords": 1, "punctuation": 2},
        "per_metric": {
            "prompt_strict": 3,
            "instruction_strict": 4,
            "prompt_loose": 3,
            "instruction_loose": 4,
        },
        "overall": 3,
    }
    ci = scores["ci"]
    assert set(ci) == {"per_task", "per_metric", "overall", "method"}
    assert set(ci["per_task"]) == set(scores["per_task"])
    for k, v in scores["per_metric"].items():
        assert set(ci["per_metric"][k]) == {"value", "lo", "hi", "n"}
        assert ci["per_metric"][k]["value"] == pytest.approx(v)
        assert ci["per_metric"][k]["n"] == scores["n"]["per_metric"][k]
    assert ci["overall"]["value"] == pytest.approx(scores["overall"])
    assert set(ci["method"]) == {"method", "confidence", "resamples", "seed"}
    assert "ci" not in score_ifeval(examples, ["a", "b", "c"], resamples=0)
    report = format_report(scores)
    assert "±" in report and "95 % bootstrap interval over prompts" in report


def test_official_intervals_pair_the_two_sides_by_prompt():
    C = InstructionCheck
    # 4 prompts; prompt 1 has two instructions. Before: only prompt 0 passes (strict).
    # After: prompts 0-2 pass fully, prompt 3 still fails; loose = strict.
    before = [
        [C("a:x", True, True)],
        [C("a:x", False, False), C("b:y", True, True)],
        [C("a:x", False, False)],
        [C("a:x", False, False)],
    ]
    after = [
        [C("a:x", True, True)],
        [C("a:x", True, True), C("b:y", True, True)],
        [C("a:x", True, True)],
        [C("a:x", False, False)],
    ]
    out = official_intervals(before, after, resamples=500, seed=0)
    # prompt-level strict: 1/4 -> 3/4; instruction-level strict: 2/5 -> 4/5 (hand-computed)
    assert out["before"]["ifeval/prompt_strict"]["value"] == pytest.approx(0.25)
    assert out["after"]["ifeval/prompt_strict"]["value"] == pytest.approx(0.75)
    assert out["before"]["ifeval/instruction_strict"]["value"] == pytest.approx(0.4)
    assert out["after"]["ifeval/instruction_strict"]["value"] == pytest.approx(0.8)
    d = out["difference"]["ifeval/prompt_strict"]
    assert d["value"] == pytest.approx(0.5) and d["n"] == 4
    assert out["difference"]["ifeval/instruction_strict"]["n"] == 5
    # paired: no prompt got worse, so no resample shows a loss (an unpaired bootstrap of two
    # independent draws would reach below 0 here); a resample of only the gaining prompts 1-2
    # gains 1.0, one of neither (1 in 16 resamples) gains 0, so the 2.5th percentile is 0:
    # with 4 prompts the difference is within noise
    assert d["lo"] == 0.0 and d["hi"] == 1.0 and d["within_noise"]
    # families: a (4 instructions, 1 -> 3 passed), b (prompt 1 only, passed on both sides)
    fam = out["difference"]["ifeval/family/a"]
    assert fam["value"] == pytest.approx(0.5) and fam["n"] == 4 and fam["lo"] >= 0.0
    assert out["before"]["ifeval/family/a"]["value"] == pytest.approx(0.25)
    b = out["difference"]["ifeval/family/b"]
    assert (b["value"], b["lo"], b["hi"], b["n"]) == (0.0, 0.0, 0.0, 1)


def test_official_intervals_identical_sides_are_within_noise_and_sides_may_be_missing():
    C = InstructionCheck
    rows = [[C("a:x", i % 2 == 0, True)] for i in range(10)]
    out = official_intervals(rows, rows, resamples=200)
    for d in out["difference"].values():
        assert d["value"] == 0.0 and d["lo"] == 0.0 and d["hi"] == 0.0 and d["within_noise"]
    only_after = official_intervals(None, rows, resamples=200)
    assert "before" not in only_after and "difference" not in only_after
    assert only_after["after"]["ifeval/prompt_loose"]["value"] == 1.0
    assert official_intervals(None, None) == {}
    # a gain on every prompt of many is beyond noise
    worse = [[C("a:x", False, False)] for _ in range(40)]
    better = [[C("a:x", True, True)] for _ in range(40)]
    gain = official_intervals(worse, better, resamples=200)["difference"]["ifeval/prompt_strict"]
    assert gain["value"] == 1.0 and not gain["within_noise"]
