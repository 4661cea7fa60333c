"""The load_dataset dispatcher: kinds, bundled defaults, errors naming the config key."""

from __future__ import annotations

import json

import pytest

from common.data import DATASETS, load_dataset
from common.data.errors import DataFormatError


def test_unknown_kind_lists_allowed_values():
    with pytest.raises(KeyError) as err:
        load_dataset("imagenet")
    assert "dataset.kind='imagenet'" in str(err.value)
    for kind in ("shopbench", "shopping_mmlu", "alce", "gsm8k", "prompts"):
        assert kind in str(err.value)
    assert set(DATASETS.names()) == {
        "shopbench",
        "shopping_mmlu",
        "alce",
        "gsm8k",
        "prompts",
        "instruct",
        "ifeval",
    }


def test_a_dotted_path_names_a_loader_that_has_no_bundled_sample(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("Say hi.\nSay bye.\n")
    loader = "common.data.prompts:load_prompts"  # as a user's own loader would be named
    assert [ex.prompt for ex in load_dataset(loader, path)] == ["Say hi.", "Say bye."]
    with pytest.raises(ValueError, match=r"dataset.path is not set and dataset.kind='common"):
        load_dataset(loader, None)
    with pytest.raises(KeyError, match=r"dataset.kind='common.data.types:Example' is <class"):
        load_dataset("common.data.types:Example", path)


def test_missing_file_names_path_and_config_key(tmp_path):
    missing = tmp_path / "nowhere.jsonl"
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("gsm8k", str(missing))
    assert str(missing) in str(err.value) and "dataset.path" in str(err.value)


def test_keywords_reach_the_loader(tmp_path):
    path = tmp_path / "a.json"
    docs = [{"title": f"t{k}", "text": "x"} for k in range(4)]
    path.write_text(json.dumps([{"question": "q", "docs": docs, "claims": ["c"]}]))
    (ex,) = load_dataset("alce", path, ndoc=2)
    assert len(ex.gold["docs"]) == 2
    (ex,) = load_dataset("alce", str(path))
    assert len(ex.gold["docs"]) == 4


def test_prompts_metric_keyword(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("a\nb\n")
    assert {ex.metric for ex in load_dataset("prompts", path, metric="rm")} == {"rm"}


# ---- malformed files: every loader names file, line and field ----------------------------

# kind -> (file name, one valid row): JSON-lines flavour of every loader
VALID_ROWS = {
    "shopbench": (
        "dev.jsonl",
        {
            "input_field": "Pick one.\n0. a\n1. b\nAnswer: ",
            "output_field": 1,
            "task_name": "task1",
            "task_type": "multiple-choice",
            "metric": "accuracy",
        },
    ),
    "shopping_mmlu": (
        "extraction.jsonl",
        {"input_field": "q", "target_field": "a", "metric": "rougel"},
    ),
    "gsm8k": ("gsm.jsonl", {"question": "2 + 2?", "answer": "2 + 2 = 4\n#### 4"}),
    "prompts": ("p.jsonl", {"prompt": "Write a haiku."}),
    "instruct": ("i.jsonl", {"prompt": "Write an email.", "category": "email"}),
    "alce": ("alce.jsonl", {"question": "q?", "docs": [], "claims": ["c"]}),
    "ifeval": (
        "ifeval.jsonl",
        {
            "key": 1,
            "prompt": "Write a poem. Do not use commas.",
            "instruction_id_list": ["punctuation:no_comma"],
            "kwargs": [{}],
        },
    ),
}
# kind -> (a required field, a wrong-typed value for it)
REQUIRED = {
    "shopbench": ("input_field", 7),
    "shopping_mmlu": ("input_field", ["not", "a", "string"]),
    "gsm8k": ("answer", 4),
    "prompts": ("prompt", {"text": "x"}),
    "instruct": ("prompt", 3.5),
    "alce": ("question", 12),
    "ifeval": ("instruction_id_list", "punctuation:no_comma"),
}


def _write_rows(path, rows):
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("kind", sorted(VALID_ROWS))
def test_broken_json_on_line_3_names_file_and_line(tmp_path, kind):
    name, row = VALID_ROWS[kind]
    path = _write_rows(tmp_path / name, [row, row, '{"input_field": "oops",\n'])
    with pytest.raises(DataFormatError, match=rf"{name}:3: field '<json>': invalid JSON") as err:
        load_dataset(kind, path)
    assert (err.value.line, err.value.field) == (3, "<json>")


@pytest.mark.parametrize("kind", sorted(VALID_ROWS))
def test_missing_required_field_names_it(tmp_path, kind):
    name, row = VALID_ROWS[kind]
    field, _ = REQUIRED[kind]
    broken = {k: v for k, v in row.items() if k != field}
    path = _write_rows(tmp_path / name, [row, broken])
    with pytest.raises(DataFormatError, match=rf"{name}:2: field '{field}': ") as err:
        load_dataset(kind, path)
    assert err.value.field == field


@pytest.mark.parametrize("kind", sorted(VALID_ROWS))
def test_wrong_type_names_the_field(tmp_path, kind):
    name, row = VALID_ROWS[kind]
    field, value = REQUIRED[kind]
    path = _write_rows(tmp_path / name, [row, row, {**row, field: value}])
    with pytest.raises(DataFormatError, match=rf"{name}:3: field '{field}': "):
        load_dataset(kind, path)


@pytest.mark.parametrize("kind", sorted(VALID_ROWS))
def test_invalid_utf8_names_file_line_and_byte(tmp_path, kind):
    name, row = VALID_ROWS[kind]
    path = tmp_path / name
    line = json.dumps(row).encode()
    path.write_bytes(line + b"\n" + line[:-2] + b'\xff"}\n')
    with pytest.raises(
        DataFormatError, match=rf"{name}:2: field '<encoding>': not valid UTF-8: byte 0xff"
    ):
        load_dataset(kind, path)


@pytest.mark.parametrize(
    "kind, name, data",
    [
        ("alce", "alce.json", b'[{"question": "q?",\n "claims": ["\xe9"]}]'),  # a JSON list
        ("prompts", "p.txt", b"first prompt\nsecond \xc3 prompt\n"),
        (
            "shopping_mmlu",
            "mc_dataset.csv",
            b'question,choices,answer\n"q","[\'a\', \'b\']",1\n"\xff",x,0\n',
        ),
    ],
)
def test_invalid_utf8_in_other_layouts_names_the_line(tmp_path, kind, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataFormatError, match=rf"{name}:(2|3): field '<encoding>'"):
        load_dataset(kind, path)


def test_a_csv_cell_too_large_for_the_csv_module_is_a_data_error(tmp_path):
    path = tmp_path / "mc_dataset.csv"
    path.write_text(f"question,choices,answer\n\"{'q' * 200_000}\",\"['a', 'b']\",1\n")
    with pytest.raises(
        DataFormatError, match=r"mc_dataset\.csv:\d+: field '<csv>': unreadable CSV"
    ):
        load_dataset("shopping_mmlu", path)


@pytest.mark.parametrize("kind", sorted(VALID_ROWS))
@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_an_empty_file_says_so(tmp_path, kind, text):
    name, _ = VALID_ROWS[kind]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataFormatError, match=r"holds no \w+ rows") as err:
        load_dataset(kind, path)
    assert str(path) in str(err.value)


def test_a_folder_whose_task_files_are_empty_says_so(tmp_path):
    (tmp_path / "generation").mkdir()
    (tmp_path / "generation" / "extraction.jsonl").write_text("\n")
    with pytest.raises(DataFormatError, match="no task file under this folder holds a"):
        load_dataset("shopping_mmlu", tmp_path)


def test_a_byte_order_mark_is_not_data(tmp_path):
    name, row = VALID_ROWS["gsm8k"]
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(row).encode() + b"\n")
    (ex,) = load_dataset("gsm8k", path)
    assert ex.gold == "4"
