"""ShopBench loader and writer: the real dev file (when present), round trips, bad rows."""

from __future__ import annotations

import json
import pickle
from collections import Counter
from pathlib import Path

import pytest

from common.data.errors import DataFormatError
from common.data.shopbench import SHOPBENCH_METRICS, load_shopbench, write_shopbench
from common.data.types import Example

# Repo root's parent holds shared/ (never copied into the repo).
DEV_FILE = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "shopbench_dev.jsonl"

ROW = {
    "input_field": "Which is a shoe?\n0. hat\n1. boot\nAnswer:",
    "output_field": 1,
    "task_name": "task2",
    "task_type": "multiple-choice",
    "metric": "accuracy",
    "is_multiple_choice": True,
}


@pytest.fixture(scope="module")
def dev_examples() -> list[Example]:
    if not DEV_FILE.is_file():
        pytest.skip(f"{DEV_FILE} not present (shared data lives outside the repo)")
    return load_shopbench(DEV_FILE)


def write_lines(path: Path, rows: list) -> Path:
    path.write_text(
        "".join(
            (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    return path


def test_metric_table_is_exact():
    assert SHOPBENCH_METRICS == {
        "accuracy": "mc_accuracy",
        "hit rate@3": "hit_at_3",
        "ndcg": "ndcg",
        "micro f1": "ner_f1",
        "rougel": "rouge_l",
        "bleu": "bleu4",
        "jp-bleu": "jp_bleu",
        "sent-transformer": "sent_sim",
        "multilingual-sent-transformer": "multilingual_sim",
    }


def test_dev_file_loads_with_published_counts(dev_examples):
    assert len(dev_examples) == 96
    assert Counter(ex.metric for ex in dev_examples) == {
        "mc_accuracy": 52,
        "hit_at_3": 15,
        "ner_f1": 8,
        "rouge_l": 8,
        "sent_sim": 4,
        "ndcg": 4,
        "bleu4": 4,
        "jp_bleu": 1,
    }
    assert len({ex.task_name for ex in dev_examples}) == 18
    first = dev_examples[0]
    assert first.meta["line"] == 1 and first.meta["source"].endswith("shopbench_dev.jsonl")
    assert first.meta["track"].startswith("amazon-kdd-cup-24")  # extra fields kept
    mc = [ex for ex in dev_examples if ex.metric == "mc_accuracy"]
    assert all(isinstance(ex.gold, int) and ex.meta["is_multiple_choice"] for ex in mc)


def test_dev_file_round_trips(dev_examples, tmp_path):
    out = tmp_path / "copy.jsonl"
    write_shopbench(out, dev_examples)
    original = [json.loads(line) for line in DEV_FILE.read_text(encoding="utf-8").splitlines()]
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written == original
    reloaded = load_shopbench(out)
    assert reloaded == dev_examples  # meta is excluded from equality; check it separately
    assert [e.meta["track"] for e in reloaded] == [e.meta["track"] for e in dev_examples]


def test_round_trip_of_built_examples(tmp_path):
    examples = [
        Example("p1", [1, 0.01, 0.1, 1, 0], "ndcg", "task12", "ranking"),
        Example("p2", ["cadbury"], "ner_f1", "task4", "named_entity_recognition"),
        Example("p3", "東京都の天気", "jp_bleu", "task17", "generation"),
        Example("p4", 3, "mc_accuracy", "task2", "multiple-choice"),
    ]
    path = tmp_path / "sample.jsonl"
    write_shopbench(path, examples)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["metric"] for r in rows] == ["ndcg", "micro f1", "jp-bleu", "accuracy"]
    assert [r["is_multiple_choice"] for r in rows] == [False, False, False, True]
    assert "東京都" in path.read_text(encoding="utf-8")  # not \u-escaped
    assert load_shopbench(path) == examples


def test_write_refuses_non_shopbench_metric(tmp_path):
    with pytest.raises(ValueError, match="no ShopBench name"):
        write_shopbench(tmp_path / "x.jsonl", [Example("p", "g", "gsm8k_exact")])


def test_blank_lines_skipped_and_metric_case_ignored(tmp_path):
    path = write_lines(
        tmp_path / "d.jsonl",
        [ROW, "", {**ROW, "metric": " RougeL ", "output_field": "fine", "task_type": "generation"}],
    )
    examples = load_shopbench(path)
    assert [e.metric for e in examples] == ["mc_accuracy", "rouge_l"]
    assert [e.meta["line"] for e in examples] == [1, 3]


@pytest.mark.parametrize(
    "bad_row, field, words",
    [
        ({k: v for k, v in ROW.items() if k != "metric"}, "metric", "missing field"),
        ({k: v for k, v in ROW.items() if k != "output_field"}, "output_field", "missing field"),
        ({k: v for k, v in ROW.items() if k != "input_field"}, "input_field", "missing field"),
        ({**ROW, "metric": "f2 score"}, "metric", "unknown metric 'f2 score'"),
        ({**ROW, "output_field": "1"}, "output_field", "expected an int"),
        ({**ROW, "output_field": True}, "output_field", "expected an int"),
        ({**ROW, "metric": "ndcg", "output_field": []}, "output_field", "non-empty list"),
        ({**ROW, "metric": "hit rate@3", "output_field": [1.5]}, "output_field", "list of ints"),
        ({**ROW, "metric": "micro f1", "output_field": "nestle"}, "output_field", "list of str"),
        ({**ROW, "metric": "bleu", "output_field": 3}, "output_field", "reference string"),
        ({**ROW, "task_name": 2}, "task_name", "expected str"),
        ({**ROW, "is_multiple_choice": "yes"}, "is_multiple_choice", "expected bool"),
        # JSON's NaN / Infinity literals parse but would score NaN (issue 18)
        ({**ROW, "metric": "ndcg", "output_field": [1, float("nan")]}, "output_field", "finite"),
        ({**ROW, "metric": "ndcg", "output_field": [float("inf")]}, "output_field", "finite"),
        ({**ROW, "output_field": -1}, "output_field", "index -1 is outside the prompt's 2 options"),
        ({**ROW, "output_field": 2}, "output_field", "index 2 is outside the prompt's 2 options"),
    ],
)
def test_bad_row_names_file_line_and_field(tmp_path, bad_row, field, words):
    path = write_lines(tmp_path / "bad.jsonl", [ROW, bad_row])
    with pytest.raises(DataFormatError) as info:
        load_shopbench(path)
    err = info.value
    assert (err.path, err.line, err.field) == (path, 2, field)
    assert f"bad.jsonl:2: field {field!r}" in str(err) and words in str(err)


def test_a_multiple_choice_row_without_numbered_options_still_refuses_a_negative_gold(tmp_path):
    rating = {**ROW, "input_field": "Rate this review from 1 to 5.\nAnswer:", "output_field": 4}
    assert load_shopbench(write_lines(tmp_path / "ok.jsonl", [rating]))[0].gold == 4
    path = write_lines(tmp_path / "bad.jsonl", [{**rating, "output_field": -1}])
    with pytest.raises(DataFormatError, match=r"index -1 is outside the options \(>= 0\)"):
        load_shopbench(path)


def test_invalid_json_line(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [ROW, ROW, '{"input_field": "oops",'])
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:3: .*invalid JSON"):
        load_shopbench(path)


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file_says_so(tmp_path, text):
    path = tmp_path / "empty.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFormatError, match="empty") as info:
        load_shopbench(path)
    assert info.value.line is None


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_shopbench(tmp_path / "nope.jsonl")


def test_data_format_error_is_a_value_error_and_pickles():
    err = DataFormatError("d.jsonl", 4, "metric", "unknown metric 'x'")
    assert isinstance(err, ValueError)
    assert str(err) == "d.jsonl:4: field 'metric': unknown metric 'x'"
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.line, again.field) == (str(err), 4, "metric")
