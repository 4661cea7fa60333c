"""Bootstrap intervals: hand-checkable cases, recomputed statistics, pairing, seeding."""

from __future__ import annotations

import numpy as np
import pytest

from common.evaluation.stats import (
    Interval,
    aggregate_rows,
    bootstrap_paired_difference,
    bootstrap_ratios,
    bootstrap_score,
    eval_intervals,
    format_mean_ci,
    percentile_interval,
    ratio_of_sums,
    resample_groups,
)
from common.rewards.base import RewardOutput, micro_f1


def rows(scores, **counts):
    scores = np.asarray(scores, dtype=float)
    return RewardOutput(
        "m", scores, np.zeros(len(scores), bool), {k: np.asarray(v) for k, v in counts.items()}
    )


def test_two_rows_interval_by_hand():
    # [1, 0]: a resample's mean is 0, 0.5 or 1 with chances 1/4, 1/2, 1/4 -> 95 % is [0, 1]
    ci = bootstrap_score(rows([1.0, 0.0]), "mean")
    assert (ci.value, ci.lo, ci.hi, ci.n) == (0.5, 0.0, 1.0, 2)
    assert ci.half_width == 0.5 and format_mean_ci(ci.value, ci) == "50.00 ± 50.00"


def test_constant_rows_zero_width_and_seeded():
    assert bootstrap_score(rows([0.3] * 5), "mean") == Interval(0.3, 0.3, 0.3, 5)
    out = rows(np.linspace(0, 1, 40))
    assert bootstrap_score(out, "mean", seed=3) == bootstrap_score(out, "mean", seed=3)
    assert bootstrap_score(out, "mean", seed=3) != bootstrap_score(out, "mean", seed=4)


def test_mean_interval_matches_normal_theory_roughly():
    rng = np.random.default_rng(0)
    x = rng.random(400)
    ci = bootstrap_score(rows(x), "mean", resamples=2000)
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert ci.half_width == pytest.approx(1.96 * se, rel=0.15)


def test_micro_f1_is_recomputed_from_resampled_counts():
    out = rows([0.0, 1.0, 0.5], tp=[0, 2, 1], fp=[1, 0, 1], fn=[1, 0, 1])
    idx = np.array([[0, 0, 0], [1, 1, 2], [0, 1, 2]])
    got = aggregate_rows(out, "micro_f1", idx)
    # resample 0: tp 0 -> 0; resample 1: tp 5, fp 1, fn 1 -> 5/6; all rows: tp 3, fp 2, fn 2
    np.testing.assert_allclose(got, [0.0, micro_f1(5, 1, 1), micro_f1(3, 2, 2)])
    assert got[2] != pytest.approx(np.mean([0.0, 1.0, 0.5]))  # not the mean of row F1s


def test_mean_scored_skips_unscored_rows_in_each_resample():
    out = rows([1.0, 0.5, 0.0], scored=[1, 1, 0])
    idx = np.array([[0, 1, 2], [2, 2, 2], [0, 2, 2]])
    np.testing.assert_allclose(aggregate_rows(out, "mean_scored", idx), [0.75, 0.0, 1.0])


def test_paired_difference_uses_the_same_rows_on_both_sides():
    before = rows(np.linspace(0, 1, 50))
    after = rows(np.linspace(0, 1, 50) + 0.01)  # every row up by 0.01
    ci = bootstrap_paired_difference(before, after, "mean")
    # paired: each resample's difference is exactly 0.01, so the interval is [0.01, 0.01]
    assert ci.value == pytest.approx(0.01) and ci.lo == pytest.approx(0.01)
    assert ci.hi == pytest.approx(0.01) and not ci.contains_zero
    noisy = rows(np.r_[np.linspace(0, 1, 50)[1:], 0.0])  # same values, shuffled by one
    assert bootstrap_paired_difference(before, noisy, "mean").contains_zero
    with pytest.raises(ValueError, match="same rows"):
        bootstrap_paired_difference(before, rows([1.0]), "mean")


def test_resample_groups_stratifies():
    groups = {"a": (rows([1.0, 1.0]), "mean"), "b": (rows([0.0]), "mean")}
    samples = resample_groups(groups, resamples=50)
    assert set(samples) == {"a", "b"}
    np.testing.assert_array_equal(samples["a"], 1.0)  # a group never borrows another's rows
    np.testing.assert_array_equal(samples["b"], 0.0)


def test_percentile_interval_and_format():
    assert percentile_interval(np.arange(101.0)) == pytest.approx((2.5, 97.5))
    assert format_mean_ci(0.1234, None) == "12.34"
    assert format_mean_ci(None, None) == ""
    assert format_mean_ci(0.5, {"lo": 0.4, "hi": 0.7}) == "50.00 ± 15.00"
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate_rows(rows([1.0]), "median", np.array([0]))


def test_eval_intervals_of_a_run():
    before = {"acc": rows([0.0, 0.0, 1.0, 1.0]), "f1": rows([0.5, 0.5, 0.5, 0.5])}
    after = {"acc": rows([1.0, 1.0, 1.0, 1.0]), "f1": rows([0.5, 0.5, 0.5, 0.5])}
    ci = eval_intervals({"acc": "mean", "f1": "mean"}, before, after)
    assert ci["before"]["acc"]["value"] == 0.5 and ci["before"]["acc"]["n"] == 4
    assert ci["before"]["avg"]["value"] == pytest.approx(0.5)  # (0.5 + 0.5) / 2
    assert ci["after"]["acc"] == {"value": 1.0, "lo": 1.0, "hi": 1.0, "n": 4}
    # acc: +0.5, paired resamples of rows whose difference is 1 or 0 -> [0, 1], touches 0
    assert ci["difference"]["acc"]["value"] == 0.5
    assert ci["difference"]["acc"]["lo"] == 0.0 and ci["difference"]["acc"]["within_noise"]
    # f1 unchanged on every row: exactly 0, within noise
    assert ci["difference"]["f1"]["value"] == 0.0 and ci["difference"]["f1"]["within_noise"]
    assert ci["difference"]["avg"]["value"] == pytest.approx(0.25)
    assert set(eval_intervals({"acc": "mean"}, None, {"acc": after["acc"]})) == {"method", "after"}


def test_ratio_of_sums_recomputes_from_resampled_rows():
    # two columns on three rows: a mean (den 1) and passed / instructions per row
    num = np.array([[1, 2], [0, 1], [1, 3]])
    den = np.array([[1, 2], [1, 3], [1, 3]])
    idx = np.array([[0, 1, 2], [1, 1, 1], [0, 0, 2]])
    got = ratio_of_sums(num, den, idx)
    # all rows: 2/3 and 6/8; row 1 thrice: 0 and 3/9; rows 0, 0, 2: 3/3 and 7/7
    np.testing.assert_allclose(got, [[2 / 3, 6 / 8], [0.0, 1 / 3], [1.0, 1.0]])
    assert got[0, 1] != pytest.approx(np.mean([2 / 2, 1 / 3, 3 / 3]))  # not a mean of ratios
    np.testing.assert_array_equal(ratio_of_sums([[1.0]], [[0.0]], [[0]]), [[0.0]])


def test_bootstrap_ratios_two_rows_by_hand():
    # row A: 2 of 2 instructions pass, row B: 0 of 1. A resample is AA (1), AB/BA (2/3) or
    # BB (0) with chances 1/4, 1/2, 1/4, so the 95 % interval is [0, 1] around 2/3
    point, samples = bootstrap_ratios(np.array([[2.0], [0.0]]), np.array([[2.0], [1.0]]))
    assert point[0] == pytest.approx(2 / 3) and samples.shape == (1000, 1)
    assert set(np.round(samples[:, 0], 6)) == {0.0, round(2 / 3, 6), 1.0}
    assert percentile_interval(samples[:, 0]) == (0.0, 1.0)
    again = bootstrap_ratios(np.array([[2.0], [0.0]]), np.array([[2.0], [1.0]]))
    np.testing.assert_array_equal(samples, again[1])  # seeded
