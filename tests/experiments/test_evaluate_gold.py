"""experiments.evaluate never scores an impossible gold: the loader refuses NaN / Infinity
relevance and an out-of-range option index, naming file, line and field (issue 18)."""

from __future__ import annotations

import json

import pytest

from experiments.evaluate import main

NDCG = {
    "input_field": "Rank the products.\nAnswer:",
    "task_name": "task9",
    "task_type": "ranking",
    "metric": "ndcg",
}
MC = {
    "input_field": "Which is a shoe?\n0. hat\n1. boot\nAnswer:",
    "task_name": "task1",
    "task_type": "multiple-choice",
    "metric": "accuracy",
}


@pytest.mark.parametrize(
    "row, words",
    [
        ({**NDCG, "output_field": [3, float("nan"), 1]}, "non-empty list of finite numbers"),
        ({**NDCG, "output_field": [float("inf")]}, "non-empty list of finite numbers"),
        ({**MC, "output_field": -1}, "option index -1 is outside the prompt's 2 options"),
    ],
)
def test_an_impossible_gold_stops_evaluate_naming_the_row(tmp_path, capsys, row, words):
    data = tmp_path / "d.jsonl"
    good = {**MC, "output_field": 1}
    data.write_text(json.dumps(good) + "\n" + json.dumps(row) + "\n")  # NaN written as NaN
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"prediction": "1"}\n{"prediction": "1"}\n')
    out = tmp_path / "scores.json"
    assert main(["--data", str(data), "--predictions", str(preds), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{data}:2: field 'output_field'" in err and words in err
    assert not out.exists()  # no JSON with a bare NaN in it
