"""The training reward's trend (common.rundir.train_trend): first vs last quarter of a synthetic
metrics.jsonl, Welch intervals and verdicts checked by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from common.rundir.train_trend import format_trend, train_trend, trend_of_run

# Student t quantiles t_{0.975, df} from a table: df = 2 and df = 4
T975_DF2, T975_DF4 = 4.302653, 2.776445


def write_metrics(run_dir, rewards, key="reward"):
    rows = [{"step": i + 1, key: r, "loss": 0.1} for i, r in enumerate(rewards)]
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_rising_by_hand(tmp_path):
    # 12 steps -> quarters of 3: first [1, 2, 3] (mean 2), last [7, 8, 9] (mean 8)
    write_metrics(tmp_path, [1, 2, 3, 0, 0, 0, 10, 10, 10, 7, 8, 9])
    trend = trend_of_run(tmp_path)
    # Welch: var 1 each, se = sqrt(1/3 + 1/3), df = (2/3)^2 / (2 (1/3)^2 / 2) = 4
    half = T975_DF4 * math.sqrt(2 / 3)
    assert (trend["steps"], trend["n_first"], trend["n_last"]) == (12, 3, 3)
    assert (trend["first_mean"], trend["last_mean"], trend["difference"]) == (2.0, 8.0, 6.0)
    assert trend["lo"] == pytest.approx(6 - half, abs=1e-5)
    assert trend["hi"] == pytest.approx(6 + half, abs=1e-5)
    assert trend["lo"] < trend["difference"] < trend["hi"]
    assert trend["verdict"] == "rising" and trend["key"] == "reward"
    line = format_trend(trend)
    assert "first quarter 2.0000 (3 steps) -> last quarter 8.0000 (3 steps)" in line
    assert line.endswith("rising") and "+6.0000" in line


def rows_of(rewards):
    return [{"step": i + 1, "reward": r} for i, r in enumerate(rewards)]


def test_a_rise_within_noise_is_flat_and_a_drop_is_falling():
    # 8 steps -> quarters of 2: [1, 3] -> [5, 7]: +4, var 2 each, se = sqrt(2), df = 2
    trend = train_trend(rows_of([1, 3, 0, 0, 0, 0, 5, 7]))
    assert trend["difference"] == 4.0
    assert trend["lo"] == pytest.approx(4 - T975_DF2 * math.sqrt(2), abs=1e-5)  # -2.08
    assert trend["hi"] == pytest.approx(4 + T975_DF2 * math.sqrt(2), abs=1e-5)
    assert trend["verdict"] == "flat"
    # the mirror image of test_rising_by_hand: -6 on [-8.27, -3.73]
    down = train_trend(rows_of([7, 8, 9, 0, 0, 0, 10, 10, 10, 1, 2, 3]))
    assert down["difference"] == -6.0
    assert down["hi"] == pytest.approx(-6 + T975_DF4 * math.sqrt(2 / 3), abs=1e-5)
    assert down["verdict"] == "falling"


def test_constant_reward_is_flat_with_zero_width():
    trend = train_trend([{"step": s, "reward": 0.5} for s in range(1, 9)])
    assert (trend["difference"], trend["lo"], trend["hi"], trend["verdict"]) == (
        0.0,
        0.0,
        0.0,
        "flat",
    )


def test_steps_order_repeats_and_missing_values():
    rows = [{"step": s, "reward": float(s)} for s in (8, 1, 2, 3, 4, 5, 6, 7)]
    rows += [{"step": 9, "reward": None}, {"step": 10}, {"step": 11, "reward": float("nan")}]
    rows += [{"step": 8, "reward": 80.0}]  # a repeated step keeps its last row
    trend = train_trend(rows)
    assert trend["steps"] == 8 and trend["first_mean"] == 1.5 and trend["last_mean"] == 43.5


def test_too_few_steps_give_no_verdict(tmp_path):
    write_metrics(tmp_path, [0.1, 0.2, 0.3])
    trend = trend_of_run(tmp_path)
    assert trend["verdict"] is None and trend["steps"] == 3 and trend["lo"] is None
    assert "needs >= 8 steps" in trend["reason"] and "got 3" in format_trend(trend)
    assert trend_of_run(tmp_path / "no-run")["steps"] == 0  # no metrics.jsonl
    json.dumps(trend)  # summary.json holds it as is


def test_another_key(tmp_path):
    write_metrics(tmp_path, [0, 0, 0, 0, 0, 0, 1, 1], key="reward/fmt")
    trend = trend_of_run(tmp_path, key="reward/fmt")
    assert trend["key"] == "reward/fmt" and trend["difference"] == 1.0
    assert trend["verdict"] == "rising"  # no spread in either quarter: the interval is [1, 1]


def test_pooled_trend_pools_each_runs_quarters():
    """Two seeds of 8 steps: quarters of 2 steps each, pooled to 4 values a quarter.
    first = [0, 0, 0.5, 0.5] (mean 0.25), last = [1, 1, 0.5, 1] (mean 0.875): +0.625."""
    from common.rundir.train_trend import pooled_trend

    a = np.array([0, 0, 1, 1, 1, 1, 1, 1], dtype=float)
    b = np.array([0.5, 0.5, 0, 0, 0, 0, 0.5, 1], dtype=float)
    t = pooled_trend([a, b], "reward/x")
    assert (t["steps"], t["n_first"], t["n_last"]) == (16, 4, 4)
    assert t["first_mean"] == pytest.approx(0.25) and t["last_mean"] == pytest.approx(0.875)
    assert t["difference"] == pytest.approx(0.625)
    assert t["lo"] < 0.625 < t["hi"] and t["verdict"] == "rising"  # Welch: lo > 0 here
    short = pooled_trend([a, b[:5]], "reward/x")  # one run below 8 steps: no verdict
    assert short["verdict"] is None and "in every run" in short["reason"]
