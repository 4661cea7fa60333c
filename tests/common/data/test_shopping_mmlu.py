"""Shopping MMLU loaders: multiple-choice CSV, input/target JSON lines, folders, bad rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from common.data.errors import DataFormatError
from common.data.shopping_mmlu import load_shopping_mmlu, mc_prompt, task_name_of


def write_csv(path: Path, rows: list[dict], header=("question", "choices", "answer")) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(header))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_mc_csv_literal_list_and_newline_choices(tmp_path):
    path = write_csv(
        tmp_path / "multiple_choice" / "attribute_selection_dataset.csv",
        [
            {"question": "Which is a shoe?", "choices": "['hat', 'boot', 'scarf']", "answer": "1"},
            {"question": "Which is a fruit?", "choices": "pear\ncarrot", "answer": "0"},
        ],
    )
    examples = load_shopping_mmlu(path)
    assert [ex.gold for ex in examples] == [1, 0]
    assert examples[0].prompt == "Which is a shoe?\n0. hat\n1. boot\n2. scarf\nAnswer: "
    assert examples[1].prompt == "Which is a fruit?\n0. pear\n1. carrot\nAnswer: "
    assert {ex.metric for ex in examples} == {"mc_accuracy"}
    assert {ex.task_name for ex in examples} == {"attribute_selection"}
    # row 2 starts on line 3; its quoted two-line cell spans lines 3-4
    assert [ex.meta["line"] for ex in examples] == [2, 3]


def test_mc_csv_without_choices_keeps_bare_question(tmp_path):
    path = write_csv(
        tmp_path / "review_rating_prediction.csv",
        [{"question": "Rate this review: great!", "answer": "5"}],
        header=("question", "answer"),
    )
    (ex,) = load_shopping_mmlu(path)
    assert ex.prompt == "Rate this review: great!\nAnswer: " and ex.gold == 5


def test_mc_prompt_matches_shopbench_layout():
    assert mc_prompt("Q?", ["a", "b"]) == "Q?\n0. a\n1. b\nAnswer: "


@pytest.mark.parametrize(
    "row, field",
    [
        ({"question": "Q", "choices": "['a', 'b']", "answer": "2"}, "answer"),
        ({"question": "Q", "choices": "['a', 'b']", "answer": "one"}, "answer"),
        ({"question": "Q", "choices": "['a', 'b'", "answer": "0"}, "choices"),
        ({"question": "Q", "choices": "['only']", "answer": "0"}, "choices"),
        ({"question": "", "choices": "['a', 'b']", "answer": "0"}, "question"),
    ],
)
def test_bad_csv_row_names_file_line_field(tmp_path, row, field):
    good = {"question": "Fine?", "choices": "['a', 'b']", "answer": "0"}
    path = write_csv(tmp_path / "task.csv", [good, row])
    with pytest.raises(DataFormatError) as err:
        load_shopping_mmlu(path)
    assert err.value.line == 3 and err.value.field == field
    assert "task.csv:3" in str(err.value) and field in str(err.value)


def test_jsonl_metric_from_field_argument_and_folder(tmp_path):
    gen = write_jsonl(
        tmp_path / "generation" / "title_translation_dataset.json",
        [
            {"input_field": "Translate: red hat", "target_field": "roter Hut"},
            {
                "input_field": "Explain: hat",
                "target_field": "A hat is worn on the head.",
                "metric": "sent-transformer",
            },
        ],
    )
    examples = load_shopping_mmlu(gen)
    assert [ex.metric for ex in examples] == ["bleu4", "sent_sim"]
    assert examples[0].gold == "roter Hut" and examples[0].task_name == "title_translation"

    plain = write_jsonl(tmp_path / "misc.jsonl", [{"input_field": "p", "target_field": "t"}])
    (ex,) = load_shopping_mmlu(plain, metric="rougel")
    assert ex.metric == "rouge_l" and ex.task_type == "generation"
    (ex,) = load_shopping_mmlu(plain, metric="rouge_l")  # registry names pass through
    assert ex.metric == "rouge_l"


def test_jsonl_folder_metrics_follow_release_layout(tmp_path):
    write_jsonl(
        tmp_path / "ranking" / "query_product_ranking_dataset.json",
        [{"input_field": "rank", "target_field": [1, 0.1, 0, 0.01, 0]}],
    )
    write_jsonl(
        tmp_path / "retrieval" / "also_buy_dataset.json",
        [{"input_field": "pick", "target_field": [2, 5, 7]}],
    )
    write_jsonl(
        tmp_path / "named_entity_recognition" / "query_ner_dataset.json",
        [{"input_field": "brand?", "target_field": ["acme"]}],
    )
    write_jsonl(
        tmp_path / "generation" / "review_keyphrase_extraction_dataset.json",
        [{"input_field": "kp?", "target_field": "comfy"}],
    )
    write_csv(
        tmp_path / "multiple_choice" / "x_dataset.csv",
        [{"question": "Q", "choices": "['a', 'b']", "answer": "1"}],
    )
    examples = load_shopping_mmlu(tmp_path)
    by_task = {ex.task_name: (ex.metric, ex.task_type) for ex in examples}
    assert by_task == {
        "also_buy": ("hit_at_3", "retrieval"),
        "query_ner": ("ner_f1", "named_entity_recognition"),
        "query_product_ranking": ("ndcg", "ranking"),
        "review_keyphrase_extraction": ("rouge_l", "generation"),
        "x": ("mc_accuracy", "multiple-choice"),
    }


def test_shopbench_shaped_rows_load_too(tmp_path):
    path = write_jsonl(
        tmp_path / "sb.jsonl",
        [
            {
                "input_field": "Q\n0. a\n1. b\nAnswer: ",
                "output_field": 1,
                "task_name": "task2",
                "task_type": "multiple-choice",
                "metric": "accuracy",
                "is_multiple_choice": True,
            }
        ],
    )
    (ex,) = load_shopping_mmlu(path)
    assert (ex.gold, ex.metric, ex.task_name) == (1, "mc_accuracy", "task2")


@pytest.mark.parametrize(
    "row, field",
    [
        ({"input_field": "p", "target_field": "t", "metric": "f2"}, "metric"),
        ({"input_field": "p", "target_field": "t"}, "metric"),  # no metric anywhere
        ({"target_field": "t", "metric": "rougel"}, "input_field"),
        ({"input_field": "p", "metric": "rougel"}, "target_field"),
        ({"input_field": "p", "target_field": "1", "metric": "accuracy"}, "target_field"),
        ({"input_field": "p", "target_field": ["x"], "metric": "hit rate@3"}, "target_field"),
        ("{not json", "<json>"),
    ],
)
def test_bad_jsonl_row_names_file_line_field(tmp_path, row, field):
    good = {"input_field": "ok", "target_field": "fine", "metric": "rougel"}
    path = write_jsonl(tmp_path / "bad.jsonl", [good, row])
    with pytest.raises(DataFormatError) as err:
        load_shopping_mmlu(path)
    assert (err.value.line, err.value.field) == (2, field)
    assert "bad.jsonl:2" in str(err.value)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        load_shopping_mmlu(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="no .csv"):
        load_shopping_mmlu(tmp_path)


def test_task_name_of_strips_dataset_suffix():
    assert (
        task_name_of("data/multiple_choice/attribute_selection_dataset.csv")
        == "attribute_selection"
    )
    assert task_name_of("x/plain.jsonl") == "plain"
