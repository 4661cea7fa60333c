"""The load_dataset dispatcher: kinds, bundled defaults, errors naming the config key."""

from __future__ import annotations

import json

import pytest

from common.data import DATASET_KINDS, load_dataset


def test_unknown_kind_lists_allowed_values():
    with pytest.raises(ValueError) as err:
        load_dataset("imagenet")
    for kind in ("shopbench", "shopping_mmlu", "alce", "gsm8k", "prompts"):
        assert kind in str(err.value)
    assert set(DATASET_KINDS) == {
        "shopbench",
        "shopping_mmlu",
        "alce",
        "gsm8k",
        "prompts",
        "instruct",
    }


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
