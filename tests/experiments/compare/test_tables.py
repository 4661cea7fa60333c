"""Markdown and CSV cells (experiments.compare.tables)."""

import json

import numpy as np

from experiments.compare import compare, format_cell
from tests.experiments.compare.fake_runs import make_remax_run, md_rows


def test_best_cell_is_bold_in_markdown(default_outputs):
    out, _ = default_outputs
    rows = md_rows(out / "table.md")
    assert rows["method"] == ["method", "n", "acc", "fmt", "avg"]
    assert rows["laser/exp3"][2] == "**43.33 ± 15.28**"
    assert rows["drbo/average"][2] == "20.00 ± 10.00"
    assert rows["drbo/average"][3] == "**60.00 ± 17.32**"
    assert rows["laser/exp3"][4] == "**46.67 ± 12.58**"


def test_format_cell_with_one_seed_prints_the_mean_only():
    assert format_cell(0.2, None) == "20.00"
    assert format_cell(0.2, 0.1) == "20.00 ± 10.00"
    assert format_cell(None, None) == "-"


def test_intervals_table_from_each_runs_eval_ci(tmp_path):
    from common.evaluation.stats import eval_intervals
    from common.rewards.base import RewardOutput

    def rows(values):
        return RewardOutput("acc", np.asarray(values, float), np.zeros(len(values), bool))

    half, all_right = rows([0.0] * 10 + [1.0] * 10), rows([1.0] * 20)
    # inverse: 0.5 -> 1.0 (a real gain); average: 0.5 -> 0.5 (within noise)
    for folder, balancer, after, score in (
        ("r0", "inverse", all_right, 1.0),
        ("r1", "average", half, 0.5),
    ):
        run = make_remax_run(tmp_path / folder, balancer, before=0.5, after=score)
        summary = json.loads((run / "summary.json").read_text())
        summary["eval_ci"] = eval_intervals({"acc": "mean"}, {"acc": half}, {"acc": after})
        (run / "summary.json").write_text(json.dumps(summary))

    out = tmp_path / "cmp"
    results = compare([tmp_path], out=out, plots=False)
    text = (out / "intervals.md").read_text()
    inverse = next(x for x in text.splitlines() if "drbo/inverse" in x and "| acc |" in x)
    assert "| 20 | 50.00 ± " in inverse and "| 100.00 ± 0.00 |" in inverse
    assert "within noise" not in inverse
    average = next(x for x in text.splitlines() if "drbo/average" in x and "| acc |" in x)
    assert "+0.00 ± 0.00" in average and "within noise" in average
    assert (out / "intervals.csv").exists()
    run = next(r for r in results["runs"] if r["path"].endswith("r0"))
    assert run["eval_ci"]["difference"]["acc"]["within_noise"] is False
