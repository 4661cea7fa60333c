"""experiments.compare on hand-made run directories: 2 methods x 3 seeds plus a failed run.
Every expected number below is computed by hand in the comments. No model is trained."""

import csv
import json
import logging
import math

import numpy as np
import pytest
from omegaconf import OmegaConf
from scipy import stats

from experiments.compare import (
    compare,
    find_run_dirs,
    format_cell,
    group_runs,
    load_run,
    main,
    paired_ttest,
)
from laser.analysis import load_run_config as reexported_load_run_config

PNG = b"\x89PNG\r\n\x1a\n"

# eval scores per seed 0, 1, 2 (fractions; the tables print x100)
AVERAGE_AFTER = {"acc": [0.10, 0.20, 0.30], "fmt": [0.50, 0.50, 0.80]}
EXP3_AFTER = {"acc": [0.30, 0.40, 0.60], "fmt": [0.40, 0.50, 0.60]}
AVERAGE_BEFORE = {"acc": [0.05, 0.10, 0.15], "fmt": [0.20, 0.30, 0.40]}
EXP3_BEFORE = {"acc": [0.07, 0.10, 0.13], "fmt": [0.20, 0.30, 0.40]}


def _metric_rows(arm_cycle):
    rows = []
    for step in range(1, 5):
        row = {"step": step, "weight/acc": 0.25 * step, "weight/fmt": 1 - 0.25 * step}
        row.update({"reward/acc": 0.1 * step, "reward/fmt": 0.5, "scaled/acc": 0.0})
        if arm_cycle:
            row.update(arm=arm_cycle[step % len(arm_cycle)], categories="math,code")
        rows.append(row)
    return rows


def make_run(folder, *, method, trainer, balancer, seed, before, after, arms=None, exp="toy"):
    """A finished run directory; ``before``/``after``: {metric: score}."""
    (folder / ".hydra").mkdir(parents=True)
    cfg = {
        "exp_name": exp,
        "seed": seed,
        "model": {"name_or_path": "org/tiny-model"},
        "trainer": {"name": trainer, "method": method},
        "balancer": {"name": balancer},
    }
    OmegaConf.save(OmegaConf.create(cfg), folder / ".hydra" / "config.yaml")
    overrides = [f"balancer={balancer}", f"trainer={trainer}", f"seed={seed}", f"+exp={exp}"]
    OmegaConf.save(OmegaConf.create(overrides), folder / ".hydra" / "overrides.yaml")
    choices = {"hydra": {"runtime": {"choices": {"model": "tiny_gpt2", "balancer": balancer}}}}
    OmegaConf.save(OmegaConf.create(choices), folder / ".hydra" / "hydra.yaml")
    rows = _metric_rows(arms)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = {
        "exp": exp,
        "method": method,
        "seed": seed,
        "eval": {"before": before, "after": after},
        "steps": 4,
        "wall_s": 1.5,
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def make_remax_run(folder, balancer="inverse", seed=0, before=0.1, after=0.2, **kw):
    """A finished DRBO (ReMax) run scoring one metric, ``acc``."""
    return make_run(
        folder,
        method="drbo",
        trainer="remax",
        balancer=balancer,
        seed=seed,
        before={"acc": before},
        after={"acc": after},
        **kw,
    )


def _pick(scores, i):
    return {m: v[i] for m, v in scores.items()}


def make_runs(root):
    """2 methods x 3 seeds under ``root`` plus one failed run (no summary.json)."""
    for seed in range(3):
        make_run(
            root / f"average_s{seed}",
            method="drbo",
            trainer="remax",
            balancer="average",
            seed=seed,
            before=_pick(AVERAGE_BEFORE, seed),
            after=_pick(AVERAGE_AFTER, seed),
        )
        make_run(
            root / f"exp3_s{seed}",
            method="laser",
            trainer="laser_dpo",
            balancer="exp3",
            seed=seed,
            before=_pick(EXP3_BEFORE, seed),
            after=_pick(EXP3_AFTER, seed),
            arms=["acc", "acc", "fmt", "acc"],
        )
    failed = root / "exp3_s3_crashed"
    (failed / ".hydra").mkdir(parents=True)
    (failed / "metrics.jsonl").write_text(json.dumps({"step": 1}) + "\n")
    return root


@pytest.fixture(scope="module")
def default_outputs(tmp_path_factory):
    """main() with default options on the runs; returns (out folder, stdout, log records)."""
    root = make_runs(tmp_path_factory.mktemp("runs"))
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("experiments.compare").addHandler(handler)
    try:
        out = root / "compare"
        assert main([str(root)]) == 0
    finally:
        logging.getLogger("experiments.compare").removeHandler(handler)
    return out, records


def _table(path):
    with open(path, newline="") as f:
        return {row["method"]: row for row in csv.DictReader(f)}


def _md_rows(path):
    lines = [line for line in path.read_text().splitlines() if line.startswith("| ")]
    return {
        cells[0]: cells
        for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines)
    }


# ---- table -------------------------------------------------------------------------------------
def test_mean_std_cells_and_avg_column(default_outputs):
    out, _ = default_outputs
    table = _table(out / "table.csv")
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


def test_best_cell_is_bold_in_markdown(default_outputs):
    out, _ = default_outputs
    rows = _md_rows(out / "table.md")
    assert rows["method"] == ["method", "n", "acc", "fmt", "avg"]
    assert rows["laser/exp3"][2] == "**43.33 ± 15.28**"
    assert rows["drbo/average"][2] == "20.00 ± 10.00"
    assert rows["drbo/average"][3] == "**60.00 ± 17.32**"
    assert rows["laser/exp3"][4] == "**46.67 ± 12.58**"


def test_zero_shot_row_averages_before_scores_per_seed(default_outputs):
    out, _ = default_outputs
    zero = _table(out / "table.csv")["zero-shot"]
    # acc per seed: (.05 + .07) / 2 = .06, .10, (.15 + .13) / 2 = .14 -> 10.00 ± 4.00
    assert zero["acc"] == "10.00 ± 4.00"
    assert zero["fmt"] == "30.00 ± 10.00"
    # avg per seed .13, .20, .27 -> 20.00 ± 7.00
    assert zero["avg"] == "20.00 ± 7.00"
    assert zero["n"] == "3"


def test_failed_run_is_skipped_with_a_warning(default_outputs):
    out, records = default_outputs
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert any("exp3_s3_crashed" in w and "summary.json" in w for w in warnings)
    results = json.loads((out / "results.json").read_text())
    assert [p.endswith("exp3_s3_crashed") for p in results["skipped"]] == [True]
    assert len(results["runs"]) == 6
    assert all("crashed" not in r["path"] for r in results["runs"])


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


# ---- t-test ------------------------------------------------------------------------------------
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
    md = _md_rows(out / "ttest.md")
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


def test_format_cell_with_one_seed_prints_the_mean_only():
    assert format_cell(0.2, None) == "20.00"
    assert format_cell(0.2, 0.1) == "20.00 ± 10.00"
    assert format_cell(None, None) == "-"


# ---- options -----------------------------------------------------------------------------------
def test_group_by_changes_the_rows(tmp_path):
    root = make_runs(tmp_path / "runs")
    by_seed = compare([root], tmp_path / "a", group_by=["seed"], plots=False)
    assert [r["label"] for r in by_seed["rows"]] == ["zero-shot", "0", "1", "2"]
    # seed 0: acc (.10 + .30) / 2 = .20
    assert by_seed["rows"][1]["mean"]["acc"] == pytest.approx(0.2)
    by_group = compare([root], tmp_path / "b", group_by=["balancer", "trainer.name"], plots=False)
    assert [r["label"] for r in by_group["rows"]] == [
        "zero-shot",
        "average/remax",
        "exp3/laser_dpo",
    ]
    # a config group without ``name`` reads Hydra's choice from .hydra/hydra.yaml
    by_model = compare([root], tmp_path / "c", group_by=["model"], plots=False)
    assert [r["label"] for r in by_model["rows"]] == ["zero-shot", "tiny_gpt2"]


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


def test_default_label_adds_exp_only_when_runs_span_several(tmp_path):
    for i, exp in enumerate(["gsm", "mmlu"]):
        make_remax_run(tmp_path / exp, seed=i, exp=exp)
    runs = [load_run(d) for d in find_run_dirs([tmp_path])[0]]
    assert list(group_runs(runs)) == ["drbo/inverse/gsm", "drbo/inverse/mmlu"]
    assert list(group_runs(runs[:1])) == ["drbo/inverse"]


# ---- plots and CLI -----------------------------------------------------------------------------
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


def test_sweep_layout_is_found_and_default_out_is_next_to_it(tmp_path, capsys):
    sweep = tmp_path / "multirun" / "toy" / "2024-01-01_00-00-00"
    for i, (balancer, seed) in enumerate([("average", 0), ("average", 1), ("inverse", 0)]):
        make_remax_run(
            sweep / f"{i}_balancer={balancer},seed={seed}", balancer, seed, after=0.2 + 0.1 * i
        )
    (sweep / "0_balancer=average,seed=0" / "plots").mkdir()  # a run's own subfolder: not a run
    assert main([str(tmp_path / "multirun"), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    # average: seeds 0, 1 score .2, .3 -> 25.00 ± 7.07; inverse: one seed, .4 (best)
    assert "| drbo/average | 2 | 25.00 ± 7.07 | 25.00 ± 7.07 |" in printed
    assert "| drbo/inverse | 1 | **40.00** | **40.00** |" in printed
    assert "| zero-shot | 2 | 10.00 ± 0.00 | 10.00 ± 0.00 |" in printed
    assert (tmp_path / "multirun" / "compare" / "table.md").exists()


def test_load_run_config_stays_importable_from_laser_analysis():
    from common.runs import load_run_config

    assert reexported_load_run_config is load_run_config


def test_intervals_table_from_each_runs_eval_ci(tmp_path):
    from common.rewards.base import RewardOutput
    from common.stats import eval_intervals

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


def test_grpo_family_rows_are_named_by_their_variant(tmp_path):
    variants = {
        "grpo": ({}, {}),
        "drgrpo": ({"loss_type": "dr_grpo"}, {}),
        "gdpo": ({}, {"normalize": "gdpo"}),
        "cond": ({}, {"conditions": {"fmt": {"gate": "acc", "threshold": 1.0}}}),
    }
    for folder, (trainer_keys, balancer_keys) in variants.items():
        make_run(
            tmp_path / folder,
            method="grpo",
            trainer="grpo",
            balancer="average",
            seed=0,
            before={"acc": 0.1},
            after={"acc": 0.2},
        )
        path = tmp_path / folder / ".hydra" / "config.yaml"
        cfg = OmegaConf.load(path)
        cfg.trainer.update(trainer_keys)
        cfg.balancer.update({"normalize": "none", "conditions": {}, **balancer_keys})
        OmegaConf.save(cfg, path)
    runs = [load_run(d) for d in find_run_dirs([tmp_path])[0]]
    assert list(group_runs(runs)) == [
        "dr_grpo/average",
        "grpo/average",
        "grpo/average+cond",
        "grpo/average+gdpo",
    ]
