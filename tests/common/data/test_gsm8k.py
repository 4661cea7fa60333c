"""GSM8K loader and the reasoning-gym generator."""

from __future__ import annotations

import json

import pytest

from common.data.errors import DataFormatError
from common.data.gsm8k import final_answer, generate_gsm, gsm_rows, load_gsm8k


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


def test_generate_gsm_is_deterministic_and_well_formed():
    a = generate_gsm(5, seed=3)
    assert [ex.prompt for ex in a] == [ex.prompt for ex in generate_gsm(5, seed=3)]
    assert [ex.prompt for ex in a] != [ex.prompt for ex in generate_gsm(5, seed=4)]
    for ex in a:
        assert ex.metric == "math_exact" and ex.gold and ex.prompt
        assert final_answer(ex.meta["solution"]) == ex.gold
    with pytest.raises(ValueError):
        gsm_rows(0)


def test_generated_rows_round_trip_through_loader(tmp_path):
    rows = gsm_rows(4, seed=1)
    path = tmp_path / "gen.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert [ex.gold for ex in load_gsm8k(path)] == [ex.gold for ex in generate_gsm(4, seed=1)]
