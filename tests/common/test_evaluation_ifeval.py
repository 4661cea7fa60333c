"""IFEval's official accuracies, hand-computed, and the evaluate CLI on IFEval-format files."""

from __future__ import annotations

import json

import pytest

from common.data.types import Example
from common.evaluation_ifeval import accuracies, check_predictions, official_scores, score_ifeval
from common.rewards.ifeval_checks import InstructionCheck
from experiments.evaluate import main as evaluate_main
from experiments.evaluate_ifeval import handles


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


def test_evaluate_cli_scores_an_ifeval_format_file(tmp_path, capsys):
    rows = [
        {"key": 1, "prompt": "p", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
        {
            "key": 2,
            "prompt": "q",
            "instruction_id_list": ["keywords:existence"],
            "kwargs": [{"keywords": ["tent"]}],
        },
    ]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    pred = tmp_path / "pred.jsonl"
    pred.write_text(
        json.dumps({"prediction": "no commas"}) + "\n" + json.dumps({"prediction": "x, y"}) + "\n"
    )
    out = tmp_path / "scores.json"
    argv = ["--data", str(data), "--predictions", str(pred), "--out", str(out)]
    assert handles(argv)
    assert evaluate_main(argv) == 0
    scores = json.loads(out.read_text())
    assert scores["per_metric"]["prompt_strict"] == 0.5
    assert set(scores) >= {"per_task", "per_metric", "overall"}
    assert "prompt_strict" in capsys.readouterr().out


def test_evaluate_cli_names_and_errors(tmp_path, capsys):
    assert handles(["--data", "ifeval", "--predictions", "x"])
    assert handles(["--data", "ifbench", "--model", "default"])
    assert not handles(["--data", str(tmp_path / "shop.jsonl"), "--predictions", "x"])
    pred = tmp_path / "short.jsonl"
    pred.write_text(json.dumps({"prediction": "a"}) + "\n")
    # 541 IFEval rows but one prediction: the predictions file is named
    assert evaluate_main(["--data", "ifeval", "--predictions", str(pred)]) == 2
    assert "short.jsonl" in capsys.readouterr().err


def test_evaluate_cli_on_ifbench_reports_unscorable(tmp_path, capsys):
    pred = tmp_path / "p.jsonl"
    pred.write_text("".join(json.dumps({"prediction": "hello world."}) + "\n" for _ in range(294)))
    assert evaluate_main(["--data", "ifbench", "--predictions", str(pred)]) == 0
    printed = capsys.readouterr().out
    assert "294 prompts" in printed and "prompt_strict" in printed


def test_evaluate_cli_generates_with_a_model(tmp_path, capsys):
    pred = tmp_path / "pred.jsonl"
    argv = ["--data", "ifeval_testbed", "--model", "tiny-gpt2", "--limit", "2"]
    argv += [
        "--max-new-tokens",
        "4",
        "--predictions-out",
        str(pred),
        "--out",
        str(tmp_path / "s.json"),
    ]
    assert evaluate_main(argv) == 0
    assert len(pred.read_text().splitlines()) == 2
    assert json.loads((tmp_path / "s.json").read_text())["details"]["n_prompts"] == 2
