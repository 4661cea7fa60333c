"""Per-prompt IFEval rows agree with the official accuracies; the report writes its files
with the values the rows imply."""

import json

import numpy as np
import pytest

from common.data.bundled import bundled_path
from common.data.ifeval import FAMILY_METRIC, load_ifeval
from common.evaluation.ifeval import accuracies, check_predictions
from experiments.studies.heldout import ifeval_rows
from experiments.studies.report import write_report
from experiments.studies.spec import load_spec


@pytest.fixture(scope="module")
def rows_and_answers():
    examples = load_ifeval(bundled_path("ifeval_testbed_heldout"))[:24]
    answers = [
        lambda ex: "",
        lambda ex: ex.prompt.upper(),
        lambda ex: ex.prompt.lower().replace(",", ""),
        lambda ex: "* one\n* two\n* three",
    ]
    preds = [answers[i % len(answers)](ex) for i, ex in enumerate(examples)]
    return examples, preds


def test_rows_reproduce_the_official_accuracies(rows_and_answers):
    examples, preds = rows_and_answers
    rows = ifeval_rows(examples, preds)
    official = accuracies(check_predictions(examples, preds))
    for key in ("prompt_strict", "instruction_strict", "prompt_loose", "instruction_loose"):
        num, den = rows[key]
        assert num.sum() / den.sum() == pytest.approx(official[key])
    for family, rate in official["per_family"].items():
        num, den = rows[FAMILY_METRIC[family]]
        assert num.sum() / den.sum() == pytest.approx(rate)
        assert den.sum() == official["family_counts"][family]


def test_report_files_and_values(tmp_path, rows_and_answers):
    examples, preds = rows_and_answers
    spec = load_spec("ifeval_balancers")
    zero = ifeval_rows(examples, [""] * len(examples))
    trained = ifeval_rows(examples, preds)
    per_row = {"zero_shot": [zero], "inverse": [trained, trained, trained]}
    result = write_report(tmp_path, spec, per_row, {}, {"command": "test"}, resamples=100)
    for name in ("table.md", "differences.md", "results.json", "metrics.png"):
        assert (tmp_path / name).is_file(), name
    num, den = trained["prompt_strict"]
    assert result["scores"]["inverse"]["prompt_strict"]["value"] == pytest.approx(
        num.sum() / den.sum()
    )
    assert result["scores"]["inverse"]["prompt_strict"]["per_seed"] == pytest.approx(
        [num.sum() / den.sum()] * 3
    )
    diff = result["differences"]["inverse - zero_shot"]["instruction_strict"]
    z_num, z_den = zero["instruction_strict"]
    t_num, t_den = trained["instruction_strict"]
    assert diff["value"] == pytest.approx(t_num.sum() / t_den.sum() - z_num.sum() / z_den.sum())
    table = (tmp_path / "table.md").read_text()
    assert "| inverse | 3 of 3 |" in table and "n=" in table
    assert json.loads((tmp_path / "results.json").read_text())["study"] == "ifeval_balancers"
    assert np.isfinite(diff["lo"]) and diff["lo"] <= diff["value"] <= diff["hi"]


def test_shopbench_samples_are_paired_between_prediction_sets():
    """The evaluator's row resamples depend only on the rows and the seed: the same
    predictions give identical samples, so a study's paired difference is exactly 0."""
    from common.data.shopbench import load_shopbench
    from experiments.studies.heldout import shopbench_rows

    examples = [
        ex
        for ex in load_shopbench(bundled_path("shopping_sample"))
        if ex.metric in ("mc_accuracy", "hit_at_3")
    ][:30]
    preds = [str(ex.gold) if i % 2 else "0" for i, ex in enumerate(examples)]
    a = shopbench_rows(examples, preds, resamples=50)
    b = shopbench_rows(examples, list(preds), resamples=50)
    assert set(a) >= {"overall", "mc_accuracy"}
    assert np.array_equal(a["overall"]["samples"], b["overall"]["samples"])
    assert a["overall"]["rows"] == len(examples)
    assert min(a["overall"]["samples"]) <= a["overall"]["value"] <= max(a["overall"]["samples"])


def test_weights_table_from_run_metrics(tmp_path):
    from experiments.studies.report import training_traces, weights_md

    for seed, late in ((0, 0.6), (1, 0.8)):
        d = tmp_path / f"seed{seed}"
        d.mkdir()
        rows = [
            {
                "step": 1,
                "weight/a": 0.5,
                "weight/b": 0.5,
                "mean/a": 0.1,
                "mean/b": 0.9,
                "time/reward_s": 1.0,
            },
            {"step": 2, "weight/a": late, "weight/b": 1 - late, "arm": "a", "time/reward_s": 2.0},
        ]
        (d / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    traces = training_traces({"inverse": [tmp_path / "seed0", tmp_path / "seed1"]})
    t = traces["inverse"]
    assert t["weights"]["a"] == {1: 0.5, 2: pytest.approx(0.7)}
    assert t["start_means"] == {"a": 0.1, "b": 0.9}
    assert t["arm_counts"] == {"a": 2} and t["timers_s"]["reward_s"] == 3.0
    table = weights_md(traces)
    assert "| K-sample mean at start | 0.10 | 0.90 |" in table
    assert "0.500 → 0.700 (max 0.700)" in table


def test_identical_cells_are_within_noise_despite_float_rounding():
    from experiments.studies.report import differences
    from experiments.studies.seed_bootstrap import ResampledCell

    # three seeds of the same value whose float mean is not exactly the value
    a = ResampledCell([0.1, 0.2, 0.3], np.tile([[0.1], [0.2], [0.3]], (1, 50)), rows=5)
    b = ResampledCell([0.2, 0.2, 0.2], np.full((3, 50), 0.2), rows=5)
    diffs = differences({"a": {"m": a}, "b": {"m": b}}, [("a", "b")], None, 50, 0)
    assert diffs["a - b"]["m"]["within_noise"]
