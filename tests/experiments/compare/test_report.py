"""compare(): results.json, options and figures (experiments.compare.report, .plots, .cli)."""

import json

import pytest

from experiments.compare import compare, main
from tests.experiments.compare.fake_runs import PNG, make_remax_run, make_runs


def test_results_json_holds_per_run_and_per_seed_numbers(default_outputs):
    out, _ = default_outputs
    results = json.loads((out / "results.json").read_text())
    assert results["baseline"] == "zero-shot"
    assert results["columns"] == ["acc", "fmt", "avg"]
    run = next(r for r in results["runs"] if r["path"].endswith("exp3_s1"))
    assert run["row"] == "laser/exp3" and run["seed"] == 1
    assert run["after"] == {"acc": 0.4, "fmt": 0.5}
    row = next(r for r in results["rows"] if r["label"] == "drbo/average")
    assert row["per_seed"]["2"] == pytest.approx({"acc": 0.3, "fmt": 0.8, "avg": 0.55})
    assert row["mean"]["acc"] == pytest.approx(0.2)
    assert row["best"] == ["fmt"]


def test_phase_before_and_metrics_option(tmp_path):
    root = make_runs(tmp_path / "runs")
    result = compare([root], tmp_path / "out", phase="before", metrics=["fmt"], plots=False)
    assert result["columns"] == ["fmt", "avg"]
    assert [r["label"] for r in result["rows"]] == ["drbo/average", "laser/exp3"]
    assert result["baseline"] == "drbo/average"  # no zero-shot row: the first row
    header = (tmp_path / "out" / "table.csv").read_text().splitlines()[0]
    assert header == "method,n,fmt,avg"


@pytest.mark.parametrize(
    ("folder", "options", "message"),
    [
        ("runs", ["--baseline", "nope"], "--baseline 'nope' is not a row"),
        ("runs", ["--metrics", "acc,bleu"], "--metrics bleu: not in any run's eval.after"),
        ("empty", [], "no run directory (a folder with summary.json) under"),
        ("missing", [], "missing is not a directory"),
    ],
)
def test_bad_input_exits_1_with_a_message_naming_it(tmp_path, capsys, folder, options, message):
    make_runs(tmp_path / "runs")
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / folder), "--out", str(tmp_path / "o"), *options]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o" / "table.md").exists()


def test_plots_are_non_empty_pngs(default_outputs):
    out, _ = default_outputs
    for name in ("weights.png", "rewards.png", "arm_utilization.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 1000, name


def test_arm_plot_is_skipped_without_bandit_runs(tmp_path):
    make_remax_run(tmp_path / "r")
    compare([tmp_path / "r"], tmp_path / "out")
    assert (tmp_path / "out" / "weights.png").exists()
    assert not (tmp_path / "out" / "arm_utilization.png").exists()


def _same_method_and_seed_with_4_and_8_steps(root):
    for name, steps in (("short", 4), ("long", 8)):
        run = make_remax_run(root / name, seed=0, after=0.1 * steps / 4)
        summary = json.loads((run / "summary.json").read_text())
        (run / "summary.json").write_text(json.dumps(summary | {"steps": steps}))
        (run / ".hydra" / "overrides.yaml").write_text(
            f"- balancer=inverse\n- seed=0\n- trainer.steps={steps}\n"
        )
    make_remax_run(root / "other", balancer="average", seed=0)


def test_two_runs_of_one_method_and_seed_are_refused_naming_both(tmp_path, capsys):
    """The same method and seed trained for 4 and for 8 steps used to be averaged into one
    "seed" (n=1) without a word."""
    _same_method_and_seed_with_4_and_8_steps(tmp_path / "runs")
    assert main([str(tmp_path / "runs"), "--out", str(tmp_path / "o"), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert "row 'drbo/inverse', seed 0" in err and "trainer.steps" in err
    assert str((tmp_path / "runs" / "short").resolve()) in err
    assert str((tmp_path / "runs" / "long").resolve()) in err
    assert "--group-by trainer.method,balancer.name,trainer.steps" in err
    assert not (tmp_path / "o" / "table.md").exists()


def test_the_suggested_group_by_gives_them_rows_of_their_own(tmp_path):
    _same_method_and_seed_with_4_and_8_steps(tmp_path / "runs")
    result = compare(
        [tmp_path / "runs"],
        tmp_path / "o",
        group_by=["trainer.method", "balancer.name", "trainer.steps"],
        plots=False,
    )
    labels = [r["label"] for r in result["rows"]]
    assert labels == ["zero-shot", "drbo/average/?", "drbo/inverse/4", "drbo/inverse/8"]
    assert result["pooled"] == []


def test_an_explicit_group_by_that_pools_seeds_says_so(tmp_path, caplog):
    _same_method_and_seed_with_4_and_8_steps(tmp_path / "runs")
    with caplog.at_level("WARNING", logger="experiments.compare"):
        result = compare([tmp_path / "runs"], tmp_path / "o", group_by=["seed"], plots=False)
    (pool,) = result["pooled"]
    assert pool["row"] == "0" and len(pool["runs"]) == 3
    assert any("pools several runs into one seed" in r.getMessage() for r in caplog.records)
