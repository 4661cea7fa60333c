"""IFEval-format loading: the testbed, IFEval, IFBench; errors name file:line:field."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from common.data import load_dataset
from common.data.bundled import bundled_path
from common.data.errors import DataFormatError
from common.data.ifeval import ifbench_test_path, load_ifeval

ROW = {
    "key": 7,
    "prompt": "Write a note. Do not use commas. Include keywords ['tent'] in the response.",
    "instruction_id_list": ["punctuation:no_comma", "keywords:existence"],
    "kwargs": [{}, {"keywords": ["tent"]}],
}


def _write(path, rows):
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in rows))
    return path


def test_row_becomes_an_example_with_its_families(tmp_path):
    (ex,) = load_ifeval(_write(tmp_path / "a.jsonl", [ROW]))
    assert ex.prompt == ROW["prompt"] and ex.task_type == "instruction_following"
    assert ex.gold["instruction_id_list"] == ROW["instruction_id_list"]
    assert ex.gold["kwargs"] == ROW["kwargs"] and ex.gold["registry"] == "ifeval"
    assert ex.meta["metrics"] == ["if_punctuation", "if_keywords"]
    assert ex.metric == "if_punctuation" and ex.meta["line"] == 1 and ex.gold["key"] == 7


def test_gzip_file_reads_like_plain(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps(ROW) + "\n")
    (ex,) = load_ifeval(path)
    assert ex.gold["key"] == 7


def test_truncated_gzip_is_a_data_error(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(ROW) + "\n").encode() * 50)[:-30])
    with pytest.raises(DataFormatError, match=r"a\.jsonl\.gz:\d+: field '<gzip>'"):
        load_ifeval(path)


@pytest.mark.parametrize(
    "change, field, message",
    [
        (
            {"instruction_id_list": ["punctuation:no_dots", "keywords:existence"]},
            "instruction_id_list",
            "unknown",
        ),
        ({"instruction_id_list": []}, "instruction_id_list", "non-empty"),
        ({"kwargs": [{}]}, "kwargs", "1 entries for 2 instructions"),
        ({"kwargs": [{}, "tent"]}, "kwargs[1]", "expected an object"),
        ({"prompt": "  "}, "prompt", "empty prompt"),
        ({"prompt": None}, "prompt", "expected str"),
    ],
)
def test_bad_rows_name_file_line_and_field(tmp_path, change, field, message):
    path = _write(tmp_path / "bad.jsonl", [ROW, {**ROW, **change}])
    with pytest.raises(DataFormatError, match=message) as err:
        load_ifeval(path)
    assert (err.value.line, err.value.field) == (2, field)
    assert f"bad.jsonl:2: field '{field}'" in str(err.value)


def test_ifeval_and_ifbench_ids_in_one_row_are_refused(tmp_path):
    row = {**ROW, "instruction_id_list": ["punctuation:no_comma", "count:numbers"]}
    with pytest.raises(DataFormatError, match="mixed"):
        load_ifeval(_write(tmp_path / "mix.jsonl", [row]))


def test_bundled_ifeval_is_the_541_prompts():
    examples = load_dataset("ifeval", bundled_path("ifeval"))
    assert len(examples) == 541 and {ex.gold["registry"] for ex in examples} == {"ifeval"}
    families = Counter(m for ex in examples for m in ex.meta["metrics"])
    assert families["if_keywords"] > 100 and families["if_language"] > 20
    folder = bundled_path("ifeval").parent
    assert "Apache License" in (folder / "LICENSE").read_text()


def test_ifbench_test_set_loads_from_the_package():
    examples = load_ifeval(ifbench_test_path())
    assert len(examples) == 294 and {ex.gold["registry"] for ex in examples} == {"ifbench"}
    # IFBench fills unused arguments with null; they are kept (and dropped at check time)
    assert all(len(ex.gold["kwargs"]) == len(ex.gold["instruction_id_list"]) for ex in examples)


def test_testbed_splits_are_disjoint_and_balanced():
    train = load_dataset("ifeval")  # the bundled testbed training prompts
    held = load_ifeval(bundled_path("ifeval_testbed_heldout"))
    base = {json.loads(line)["base_prompt"] for line in open(bundled_path("ifeval_testbed_train"))}
    held_base = {
        json.loads(line)["base_prompt"] for line in open(bundled_path("ifeval_testbed_heldout"))
    }
    assert not base & held_base and not {e.prompt for e in train} & {e.prompt for e in held}
    for rows in (train, held):
        counts = Counter(m for ex in rows for m in ex.meta["metrics"])
        assert len(counts) == 7 and max(counts.values()) - min(counts.values()) <= 1
        sizes = Counter(len(ex.gold["instruction_id_list"]) for ex in rows)
        assert set(sizes) == {1, 2, 3} and len(set(sizes.values())) == 1
        # never two constraints of one family in a row: a family's rate is then per prompt
        assert all(len(ex.meta["metrics"]) == len(ex.gold["instruction_id_list"]) for ex in rows)
