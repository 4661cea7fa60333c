"""bench.harness: the helpers every bench shares (machine, medians, verdicts, result files)."""

from __future__ import annotations

import json

import pytest

from bench import harness


def test_machine_names_the_context_every_result_file_holds():
    m = harness.machine()
    assert {"python", "platform", "cpu_count", "torch", "torch_threads"} <= set(m)
    assert m["torch_threads"] >= 1


def test_medians_of_empty_and_odd_inputs():
    assert harness.median([3.0, 1.0, 2.0]) == 2.0
    assert harness.median(x for x in (1.0, 4.0)) == 2.5  # any iterable
    assert harness.median([]) == 0.0
    assert harness.median_or_none([]) is None  # a side that did not run
    assert harness.median_or_none([5.0]) == 5.0


def test_timed_returns_seconds_and_the_result():
    s, out = harness.timed(lambda: 7)
    assert out == 7 and s >= 0
    assert harness.median_seconds(lambda: None, 3) >= 0


@pytest.mark.parametrize("passed, word", [(True, "PASS"), (False, "FAIL")])
def test_verdict_row_line_ends_in_the_word(passed, word):
    row = harness.verdict_row("x: share", 0.1, "< 0.2", passed, "share 10%")
    assert row == {
        "name": "x: share",
        "value": 0.1,
        "target": "< 0.2",
        "pass": passed,
        "line": f"share 10%: {word}",
    }


def test_write_result_is_indented_json_and_leaves_no_temporary(tmp_path):
    out = harness.write_result("x.json", {"a": [1, 2]}, tmp_path / "new")
    assert out == tmp_path / "new" / "x.json"
    assert json.loads(out.read_text()) == {"a": [1, 2]}
    assert out.read_text().endswith("}\n")
    assert [p.name for p in out.parent.iterdir()] == ["x.json"]
