"""Mean ± std over seeds, the zero-shot row and paired t-tests (experiments.compare.stats);
every expected number is computed by hand in the comments."""

import csv
import math

import pytest
from scipy import stats

from experiments.compare import compare, paired_ttest
from tests.experiments.compare.fake_runs import make_runs, md_rows, table_rows


def test_mean_std_cells_and_avg_column(default_outputs):
    out, _ = default_outputs
    table = table_rows(out / "table.csv")
    assert list(table) == ["zero-shot", "drbo/average", "laser/exp3"]
    average, exp3 = table["drbo/average"], table["laser/exp3"]
    assert average["n"] == exp3["n"] == "3"
    # acc 0.10, 0.20, 0.30 -> mean 20, sample std 10
    assert average["acc"] == "20.00 ± 10.00"
    # fmt 0.5, 0.5, 0.8 -> mean 60, std sqrt((.01 + .01 + .04) / 2) = 0.1732
    assert average["fmt"] == "60.00 ± 17.32*"
    # per-seed avg 0.30, 0.35, 0.55 -> mean 40, std sqrt((.01 + .0025 + .0225) / 2) = 0.1323
    assert average["avg"] == "40.00 ± 13.23"
    # acc 0.3, 0.4, 0.6 -> 43.33 ± 15.28 (best); per-seed avg .35, .45, .60 -> 46.67 ± 12.58
    assert exp3["acc"] == "43.33 ± 15.28*"
    assert exp3["fmt"] == "50.00 ± 10.00"
    assert exp3["avg"] == "46.67 ± 12.58*"


def test_zero_shot_row_averages_before_scores_per_seed(default_outputs):
    out, _ = default_outputs
    zero = table_rows(out / "table.csv")["zero-shot"]
    # acc per seed: (.05 + .07) / 2 = .06, .10, (.15 + .13) / 2 = .14 -> 10.00 ± 4.00
    assert zero["acc"] == "10.00 ± 4.00"
    assert zero["fmt"] == "30.00 ± 10.00"
    # avg per seed .13, .20, .27 -> 20.00 ± 7.00
    assert zero["avg"] == "20.00 ± 7.00"
    assert zero["n"] == "3"


def _p_two_sided(diffs):
    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    t = mean / (sd / math.sqrt(n))
    return 2 * stats.t.sf(abs(t), n - 1)


def test_ttest_against_zero_shot_pairs_each_run_with_its_own_before(default_outputs):
    out, _ = default_outputs
    with open(out / "ttest.csv", newline="") as f:
        tests = {(r["method"], r["metric"]): r for r in csv.DictReader(f)}
    acc = tests[("drbo/average", "acc")]
    # after - before: .05, .10, .15 -> t = .1 / (.05 / sqrt 3) = 3.464
    assert acc["baseline"] == "zero-shot" and acc["n_pairs"] == "3"
    assert float(acc["mean_diff_x100"]) == pytest.approx(10.0)
    assert float(acc["p_value"]) == pytest.approx(_p_two_sided([0.05, 0.10, 0.15]))
    assert ("zero-shot", "acc") not in tests
    md = md_rows(out / "ttest.md")
    assert md["drbo/average"][1].startswith("+10.00 (p=")


def test_ttest_against_a_method_baseline_pairs_by_seed(tmp_path):
    root = make_runs(tmp_path / "runs")
    result = compare([root], tmp_path / "out", baseline="drbo/average", plots=False)
    acc = next(t for t in result["ttest"] if t["method"] == "laser/exp3" and t["metric"] == "acc")
    # diffs .2, .2, .3: mean .2333, sd .0577 -> t = 7.0, df 2
    assert acc["n_pairs"] == 3
    assert acc["mean_diff"] == pytest.approx(0.7 / 3)
    assert acc["p_value"] == pytest.approx(2 * stats.t.sf(7.0, 2))
    assert acc["p_value"] == pytest.approx(_p_two_sided([0.2, 0.2, 0.3]))
    # the zero-shot row is tested against the method baseline too (before vs after, by seed)
    assert any(t["method"] == "zero-shot" for t in result["ttest"])


def test_ttest_with_fewer_than_two_pairs_gives_na_with_reason():
    one = paired_ttest({0: 0.5, 1: 0.6}, {1: 0.4, 7: 0.1})
    assert one["n_pairs"] == 1 and one["p_value"] is None
    assert "1 paired seed" in one["note"]
    flat = paired_ttest({0: 0.5, 1: 0.6}, {0: 0.4, 1: 0.5})
    assert flat["p_value"] is None and "zero variance" in flat["note"]
