"""Finding, loading and grouping runs into rows (experiments.compare.discovery)."""

import json
import logging

import pytest
from omegaconf import OmegaConf

from experiments.compare import compare, find_run_dirs, group_runs, load_run, main
from tests.experiments.compare.fake_runs import make_remax_run, make_run, make_runs


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


def test_default_label_adds_exp_only_when_runs_span_several(tmp_path):
    for i, exp in enumerate(["gsm", "mmlu"]):
        make_remax_run(tmp_path / exp, seed=i, exp=exp)
    runs = [load_run(d) for d in find_run_dirs([tmp_path])[0]]
    assert list(group_runs(runs)) == ["drbo/inverse/gsm", "drbo/inverse/mmlu"]
    assert list(group_runs(runs[:1])) == ["drbo/inverse"]


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


def test_failed_run_is_skipped_with_a_warning(default_outputs):
    out, records = default_outputs
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert any("exp3_s3_crashed" in w and "summary.json" in w for w in warnings)
    results = json.loads((out / "results.json").read_text())
    assert [p.endswith("exp3_s3_crashed") for p in results["skipped"]] == [True]
    assert len(results["runs"]) == 6
    assert all("crashed" not in r["path"] for r in results["runs"])


def test_group_by_trainer_method_reads_the_summary_of_new_runs(tmp_path):
    """Configs no longer carry trainer.method (the trainer class is its label): the
    summary's method stands in, and old runs that have it in the config still group."""
    make_remax_run(tmp_path / "old", seed=0)
    new = make_remax_run(tmp_path / "new", seed=1)
    cfg_file = new / ".hydra" / "config.yaml"
    cfg = OmegaConf.load(cfg_file)
    del cfg.trainer["method"]
    OmegaConf.save(cfg, cfg_file)
    rows = compare([tmp_path], tmp_path / "out", group_by=["trainer.method"], plots=False)["rows"]
    assert [r["label"] for r in rows if r["label"] != "zero-shot"] == ["drbo"]


def test_a_symlink_loop_counts_each_run_once(tmp_path):
    """A link back to an ancestor (and a second link to one run) used to list the runs under
    it again, so one run counted twice; folders are deduplicated by resolved path."""
    root = tmp_path / "runs"
    make_remax_run(root / "a", seed=0)
    make_remax_run(root / "b", seed=1)
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "again").symlink_to(root / "a", target_is_directory=True)
    runs, failed = find_run_dirs([root, root / "a"])
    assert runs == [(root / "a").resolve(), (root / "b").resolve()] and failed == []
    result = compare([root], tmp_path / "out", plots=False)
    assert len(result["runs"]) == 2


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "metrics.jsonl").write_text('{"step": 1}\n{"step": 2, "loss'), ":2:"),
        (lambda d: (d / "summary.json").write_text('{"eval": {"after"'), "not valid JSON"),
        (lambda d: (d / "summary.json").write_text("[1, 2]"), "a JSON object expected"),
        (
            lambda d: (d / "summary.json").write_text('{"results": {"acc": 0.3}}'),
            "no 'eval' object",
        ),
        (
            lambda d: (d / "summary.json").write_text('{"eval": {"after": {"acc": "high"}}}'),
            "eval.after.acc is 'high', a number expected",
        ),
    ],
    ids=["truncated_metrics", "truncated_summary", "summary_list", "other_schema", "text_score"],
)
def test_a_damaged_run_is_skipped_with_a_warning_naming_it(tmp_path, caplog, damage, message):
    """One damaged run (a cut-short metrics.jsonl, a summary of another schema) used to
    abort the whole comparison with a raw JSONDecodeError/ValueError."""
    make_remax_run(tmp_path / "runs" / "good", seed=0)
    bad = make_remax_run(tmp_path / "runs" / "bad", seed=1)
    damage(bad)
    with caplog.at_level(logging.WARNING, logger="experiments.compare"):
        result = compare([tmp_path / "runs"], tmp_path / "out", plots=False)
    assert [r["path"] for r in result["runs"]] == [str((tmp_path / "runs" / "good").resolve())]
    ((path, reason),) = result["damaged"].items()
    assert path.endswith("bad") and message in reason
    assert any("skipping" in r.getMessage() and str(bad) in r.getMessage() for r in caplog.records)


def test_only_damaged_runs_is_an_error_listing_them(tmp_path, capsys):
    bad = make_remax_run(tmp_path / "runs" / "bad")
    (bad / "summary.json").write_text("{")
    assert main([str(tmp_path / "runs"), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert "no run directory" in err and f"{bad}/summary.json: not valid JSON" in err
