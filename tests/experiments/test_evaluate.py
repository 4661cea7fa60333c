"""The offline evaluation CLI: a small hand-scored file, input errors, the real dev file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.data.shopbench import load_shopbench
from experiments.evaluate import evaluate_predictions, main

DEV_FILE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "shopbench_dev.jsonl"

ROWS = [
    # (gold, ShopBench metric, task, task type, prediction)
    (2, "accuracy", "task2", "multiple-choice", "\n2"),
    (2, "accuracy", "task2", "multiple-choice", "1"),
    ([1, 2, 3], "hit rate@3", "task3", "retrieval", "[3, 9, 1]"),
    ([0, 0, 1], "ndcg", "task12", "ranking", "3, 1, 2"),
    (["a", "b"], "micro f1", "task4", "named_entity_recognition", "a, c"),
    (["c"], "micro f1", "task4", "named_entity_recognition", "[]"),
    ("super comfortable", "rougel", "task6", "generation", "very comfortable"),
]
# task2 (1 + 0)/2 = 0.5; task3 |{1,3}|/3 = 2/3; task12 candidate 3 (weight 1) first -> 1.0;
# task4 micro-F1: tp 1, fp 1, fn 2 -> P 1/2, R 1/3 -> 0.4; task6 ROUGE-L 0.5
EXPECTED_TASKS = {"task2": 0.5, "task3": 2 / 3, "task4": 0.4, "task6": 0.5, "task12": 1.0}
EXPECTED_OVERALL = (0.5 + 2 / 3 + 0.4 + 0.5 + 1.0) / 5  # 3.066667 / 5 = 0.613333


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def files(tmp_path):
    data = write_jsonl(
        tmp_path / "data.jsonl",
        [
            {
                "input_field": f"q{i}",
                "output_field": g,
                "task_name": t,
                "task_type": tt,
                "metric": m,
                "is_multiple_choice": tt == "multiple-choice",
            }
            for i, (g, m, t, tt, _) in enumerate(ROWS)
        ],
    )
    preds = write_jsonl(tmp_path / "pred.jsonl", [{"prediction": r[-1]} for r in ROWS])
    return data, preds


def test_cli_prints_tables_and_writes_contract_json(files, tmp_path, capsys):
    data, preds = files
    out = tmp_path / "sub" / "scores.json"
    assert main(["--data", str(data), "--predictions", str(preds), "--out", str(out)]) == 0
    scores = json.loads(out.read_text())
    assert set(scores) == {"per_task", "per_metric", "overall", "n", "ci"}
    assert scores["n"]["per_task"] == {"task2": 2, "task3": 1, "task4": 2, "task6": 1, "task12": 1}
    assert scores["n"]["overall"] == 7 and scores["n"]["per_metric"]["ner_f1"] == 2
    # task2 rows score [1, 0]: resampled means are 0, 0.5, 1 with chances 1/4, 1/2, 1/4, so the
    # 95 % percentile interval is [0, 1]; a one-row task has a zero-width interval.
    assert (scores["ci"]["per_task"]["task2"]["lo"], scores["ci"]["per_task"]["task2"]["hi"]) == (
        0,
        1,
    )
    assert scores["ci"]["per_task"]["task3"]["lo"] == scores["ci"]["per_task"]["task3"]["hi"]
    overall = scores["ci"]["overall"]
    assert overall["lo"] <= scores["overall"] <= overall["hi"] and overall["n"] == 7
    assert scores["ci"]["method"]["confidence"] == 0.95
    assert scores["per_task"] == pytest.approx(EXPECTED_TASKS)
    assert scores["per_metric"] == pytest.approx(
        {"mc_accuracy": 0.5, "hit_at_3": 2 / 3, "ndcg": 1.0, "ner_f1": 0.4, "rouge_l": 0.5}
    )
    assert scores["overall"] == pytest.approx(EXPECTED_OVERALL)
    printed = capsys.readouterr().out
    assert "61.33 ± " in printed  # overall x100, 2 decimals, ± half-width
    assert "50.00 ± 50.00" in printed  # task2: [0, 1] -> half-width 0.5
    assert "66.67" in printed and "40.00" in printed and "100.00" in printed
    task_lines = [line.split() for line in printed.splitlines() if line.startswith("task")]
    assert [t[0] for t in task_lines[1:]] == ["task2", "task3", "task4", "task6", "task12"]


def test_evaluate_predictions_function(files):
    data, _ = files
    scores = evaluate_predictions(load_shopbench(data), [r[-1] for r in ROWS])
    assert scores["overall"] == pytest.approx(EXPECTED_OVERALL)


def run_error(argv, capsys) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err


def test_fewer_predictions(files, capsys):
    data, preds = files
    write_jsonl(preds, [{"prediction": "1"}] * 5)
    err = run_error(["--data", str(data), "--predictions", str(preds)], capsys)
    assert "pred.jsonl:5" in err and "only 5 predictions for 7 data rows" in err


def test_more_predictions(files, capsys):
    data, preds = files
    write_jsonl(preds, [{"prediction": "1"}] * 8)
    err = run_error(["--data", str(data), "--predictions", str(preds)], capsys)
    assert "pred.jsonl:8" in err and "more predictions than the 7 data rows" in err


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"answer": "1"}, "field 'prediction': missing field"),
        ({"prediction": 3}, "field 'prediction': expected a string, got int"),
    ],
)
def test_bad_prediction_line(files, capsys, bad, words):
    data, preds = files
    write_jsonl(preds, [{"prediction": "1"}, {"prediction": "1"}, bad] + [{"prediction": "1"}] * 4)
    err = run_error(["--data", str(data), "--predictions", str(preds)], capsys)
    assert f"pred.jsonl:3: {words}" in err


def test_null_prediction_scores_zero(files, tmp_path):
    data, preds = files
    write_jsonl(preds, [{"prediction": None}] * len(ROWS))
    out = tmp_path / "s.json"
    assert main(["--data", str(data), "--predictions", str(preds), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["overall"] == 0.0


def test_bad_data_file(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{"input_field": "q"}])
    preds = write_jsonl(tmp_path / "p.jsonl", [{"prediction": "1"}])
    err = run_error(["--data", str(data), "--predictions", str(preds)], capsys)
    assert "d.jsonl:1" in err and "missing field" in err


def test_missing_required_argument():
    with pytest.raises(SystemExit) as info:
        main(["--data", "x.jsonl"])
    assert info.value.code == 2


def gold_as_prediction(gold, metric: str) -> str:
    """What a perfect model would answer: the option int, the list, or the ideal ranking."""
    if metric == "ndcg":
        # Gold holds relevance weights per candidate; the perfect answer ranks candidates
        # by weight, high to low (1-based).
        order = sorted(range(len(gold)), key=lambda k: -gold[k])
        return str([k + 1 for k in order])
    return gold if isinstance(gold, str) else str(gold)


def test_gold_answers_score_perfectly_on_dev_file(tmp_path, capsys):
    if not DEV_FILE.is_file():
        pytest.skip(f"{DEV_FILE} not present (shared data lives outside the repo)")
    examples = load_shopbench(DEV_FILE)
    preds = write_jsonl(
        tmp_path / "gold.jsonl",
        [{"prediction": gold_as_prediction(e.gold, e.metric)} for e in examples],
    )
    out = tmp_path / "scores.json"
    assert main(["--data", str(DEV_FILE), "--predictions", str(preds), "--out", str(out)]) == 0
    scores = json.loads(out.read_text())
    assert len(scores["per_task"]) == 18
    generation = {e.task_name for e in examples if e.task_type == "generation"}
    for task, score in scores["per_task"].items():
        if task in generation:
            # Text equal to its reference: ROUGE/BLEU exactly 1, cosine 1 up to float error.
            assert score == pytest.approx(1.0, abs=1e-5), task
        else:
            assert score == 1.0, task
    assert scores["overall"] == pytest.approx(1.0, abs=1e-6)
