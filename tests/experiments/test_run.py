"""The entry point's own helpers (experiments.run); end-to-end runs are in test_run_smoke.py,
test_run_guards.py and test_sweeps.py."""

from __future__ import annotations

import numpy as np

from common.evaluation.stats import eval_intervals
from common.rewards.base import RewardOutput
from experiments.run import format_answers, format_table


def rows(scores):
    scores = np.asarray(scores, dtype=float)
    return RewardOutput("m", scores, np.zeros(len(scores), bool))


def test_run_table_prints_intervals_and_noise_marks():
    before = {"acc": rows([0.0] * 10 + [1.0] * 10)}
    after = {"acc": rows([1.0] * 20)}
    ci = eval_intervals({"acc": "mean"}, before, after)
    table = format_table({"acc": 0.5}, {"acc": 1.0}, ci)
    line = next(x for x in table.splitlines() if x.startswith("| acc "))
    # +0.5 with every resample's difference in about [0.28, 0.72]: not noise
    assert "| 20 | 50.00 ± " in line and "| 100.00 ± 0.00 |" in line and "+50.00 ± " in line
    assert "within noise" not in line
    assert any(x.startswith("| avg ") for x in table.splitlines())
    same = format_table({"acc": 0.5}, {"acc": 0.5}, eval_intervals({"acc": "mean"}, before, before))
    assert "within noise" in same
    assert "| acc |  | 50.00 | 100.00 | +50.00 |" in format_table({"acc": 0.5}, {"acc": 1.0})


def test_format_answers_line_and_looping_warning():
    before = {"n": 4, "words": 62.1, "distinct3": 0.89, "looping": 0.0}
    after = {"n": 4, "words": 67.4, "distinct3": 0.17, "looping": 0.75}
    text = format_answers({"before": before, "after": after})
    first, warning = text.splitlines()
    assert first == "answers: words 62.1 -> 67.4, distinct-3 0.89 -> 0.17, looping 0 % -> 75 %"
    assert warning.startswith("warning: 75 % of the answers repeat one phrase")
    # one side only, fluent: a line and no warning; none: nothing
    assert format_answers({"before": {}, "after": before}) == (
        "answers: words 62.1, distinct-3 0.89, looping 0 %"
    )
    assert format_answers({}) == ""
