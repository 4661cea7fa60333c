"""ALCE loader: prompt layout, ndoc, gold dict, metric per row type, bad rows."""

from __future__ import annotations

import json

import pytest

from common.data.alce import INSTRUCTION, load_alce
from common.data.errors import DataFormatError

DOCS = [{"title": f"T{k}", "text": f"text {k}", "score": 0.5} for k in range(1, 8)]
ASQA = {
    "question": "Who played X?",
    "answer": "A played X in the film [1] and B in the series [2].",
    "docs": DOCS,
    "qa_pairs": [
        {"question": "Who played X in the film?", "short_answers": ["A"]},
        {"question": "Who played X in the series?", "short_answers": ["B", "Bee"]},
    ],
}
ELI5 = {"question": "Why is the sky blue?", "docs": DOCS[:2], "claims": ["Light scatters."]}


def write(path, rows):
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def test_asqa_and_eli5_rows(tmp_path):
    asqa, eli5 = load_alce(write(tmp_path / "a.json", [ASQA, ELI5]))
    assert asqa.metric == "alce_em_recall" and asqa.task_name == "asqa"
    assert eli5.metric == "alce_claim_recall" and eli5.task_name == "eli5"
    assert asqa.task_type == eli5.task_type == "long-form-qa"
    assert asqa.gold["qa_pairs"][1]["short_answers"] == ["B", "Bee"]
    assert asqa.gold["claims"] is None and eli5.gold["qa_pairs"] is None
    assert eli5.gold["claims"] == ["Light scatters."] and eli5.gold["answer"] is None
    assert asqa.gold["answer"].startswith("A played")


def test_prompt_layout_and_default_ndoc(tmp_path):
    (ex,) = load_alce(write(tmp_path / "a.json", [ASQA]))
    lines = ex.prompt.split("\n")
    assert lines[0] == INSTRUCTION and "[1][2][3]" in lines[0]
    assert lines[2] == "Document [1](Title: T1): text 1"
    assert lines[6] == "Document [5](Title: T5): text 5"
    assert "Document [6]" not in ex.prompt
    assert ex.prompt.endswith("\nQuestion: Who played X?\nAnswer:")
    # citations index the shown docs; retrieval extras (score) are dropped
    assert ex.gold["docs"] == [{"title": d["title"], "text": d["text"]} for d in DOCS[:5]]


def test_ndoc_option(tmp_path):
    path = write(tmp_path / "a.json", [ASQA])
    (three,) = load_alce(path, ndoc=3)
    assert len(three.gold["docs"]) == 3 and "Document [3]" in three.prompt
    assert "Document [4]" not in three.prompt
    (closed,) = load_alce(path, ndoc=0)
    assert "Document" not in closed.prompt and closed.gold["docs"] == []
    with pytest.raises(ValueError, match="ndoc"):
        load_alce(path, ndoc=-1)


def test_json_lines_accepted(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(ASQA) + "\n" + json.dumps(ELI5) + "\n", encoding="utf-8")
    assert [ex.metric for ex in load_alce(path)] == ["alce_em_recall", "alce_claim_recall"]


@pytest.mark.parametrize(
    "bad, field",
    [
        ({**ELI5, "question": ""}, "question"),
        ({"question": "q", "docs": []}, "qa_pairs"),
        (
            {**ASQA, "qa_pairs": [{"question": "q", "short_answers": []}]},
            "qa_pairs[0].short_answers",
        ),
        ({**ELI5, "claims": "one claim"}, "claims"),
        ({**ELI5, "docs": [{"title": "t"}]}, "docs[0].text"),
        ({**ELI5, "docs": "doc"}, "docs"),
        ({**ELI5, "answer": 3}, "answer"),
    ],
)
def test_bad_rows_name_entry_and_field(tmp_path, bad, field):
    path = write(tmp_path / "bad.json", [ASQA, bad])
    with pytest.raises(DataFormatError) as err:
        load_alce(path)
    assert (err.value.line, err.value.field) == (2, field)
    assert "bad.json:2" in str(err.value)


def test_invalid_json_names_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"question": "q",\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match="broken.json"):
        load_alce(path)
