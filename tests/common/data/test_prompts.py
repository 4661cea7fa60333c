"""Plain prompt list loader."""

from __future__ import annotations

import json

import pytest

from common.data.errors import DataFormatError
from common.data.prompts import DEFAULT_METRIC, load_prompts


def test_txt_one_prompt_a_line(tmp_path):
    path = tmp_path / "wild.txt"
    path.write_text("Write a poem.\n\n  Explain tides.  \n", encoding="utf-8")
    examples = load_prompts(path)
    assert [ex.prompt for ex in examples] == ["Write a poem.", "Explain tides."]
    assert all(ex.gold is None and ex.metric == DEFAULT_METRIC for ex in examples)
    assert examples[1].meta["line"] == 3 and examples[0].task_name == "wild"


def test_jsonl_prompt_field_and_metric_option(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(
        json.dumps({"prompt": "Hi", "task_name": "chat"})
        + "\n"
        + json.dumps({"prompt": "Bye"})
        + "\n",
        encoding="utf-8",
    )
    a, b = load_prompts(path, metric="rm_helpful", task_name="default_task")
    assert (a.prompt, a.metric, a.task_name) == ("Hi", "rm_helpful", "chat")
    assert b.task_name == "default_task"


@pytest.mark.parametrize(
    "row, field",
    [({"text": "x"}, "prompt"), ({"prompt": "  "}, "prompt"), ({"prompt": 3}, "prompt")],
)
def test_bad_jsonl_rows(tmp_path, row, field):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"prompt": "ok"}) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as err:
        load_prompts(path)
    assert (err.value.line, err.value.field) == (2, field) and "bad.jsonl:2" in str(err.value)
