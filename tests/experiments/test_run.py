"""The entry point's own helpers (experiments.run); end-to-end runs are in test_run_smoke.py,
test_run_guards.py and test_sweeps.py."""

from __future__ import annotations

import numpy as np

from common.evaluation.stats import eval_intervals
from common.rewards.base import RewardOutput
from experiments.run import format_table


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
