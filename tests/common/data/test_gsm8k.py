"""GSM8K loader (plain and gzip-compressed JSON lines)."""

from __future__ import annotations

import json

import pytest

from common.data.errors import DataFormatError
from common.data.gsm8k import final_answer, load_gsm8k


def test_load_gsm8k_rows(tmp_path):
    path = tmp_path / "test.jsonl"
    rows = [
        {"question": "Tom has 2 apples and buys 3. How many?", "answer": "2+3=5\n#### 5"},
        {"question": "Big number?", "answer": "...\n#### 1,200"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    a, b = load_gsm8k(path)
    assert (a.prompt, a.gold, a.metric, a.task_type) == (
        rows[0]["question"],
        "5",
        "math_exact",
        "math",
    )
    assert b.gold == "1200"
    assert a.meta["solution"] == rows[0]["answer"] and a.meta["line"] == 1


@pytest.mark.parametrize(
    "row, field",
    [
        ({"question": "q", "answer": "no final line"}, "answer"),
        ({"question": "q"}, "answer"),
        ({"answer": "#### 1"}, "question"),
        ({"question": 3, "answer": "#### 1"}, "question"),
    ],
)
def test_bad_rows(tmp_path, row, field):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"question": "ok", "answer": "#### 1"}) + "\n" + json.dumps(row) + "\n"
    )
    with pytest.raises(DataFormatError) as err:
        load_gsm8k(path)
    assert (err.value.line, err.value.field) == (2, field)
    assert "bad.jsonl:2" in str(err.value)


def test_final_answer():
    assert final_answer("a #### 3 \n#### 42 ") == "42"
    assert final_answer("no mark") is None
    assert final_answer("#### ") is None


def test_gzip_file_and_a_bad_row_inside_it(tmp_path):
    import gzip

    path = tmp_path / "rows.jsonl.gz"
    good = json.dumps({"question": "q", "answer": "#### 7"})
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(good + "\n" + json.dumps({"question": "q", "answer": "none"}) + "\n")
    with pytest.raises(DataFormatError) as err:
        load_gsm8k(path)
    assert (err.value.line, err.value.field) == (2, "answer")
    assert "rows.jsonl.gz:2: field 'answer'" in str(err.value)
