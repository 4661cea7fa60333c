"""common.rundir.runs on hand-made run directories: the files, the per-step series and the arms."""

import json

import pytest
from omegaconf import OmegaConf

from common.rundir.runs import (
    RunDir,
    RunFileError,
    arm_counts,
    arm_utilization,
    arms_in_order,
    load_run_config,
    metric_series,
    read_choices,
    read_overrides,
    read_run_metrics,
    read_summary,
    running_mean,
    select,
    step_arms,
)

NAMES = ("fmt", "short", "long")


def _row(step, arm, **extra):
    return {"step": step, **{f"weight/{n}": float(n == arm) for n in NAMES}, "arm": arm, **extra}


# fmt picked on 3 of 4 steps, short on 1, long never
ROWS = [_row(1, "fmt"), _row(2, "short"), _row(3, "fmt"), _row(4, "fmt")]


def _hydra_run(folder, config, overrides=None, choices=None):
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "config.yaml").write_text(config)
    if overrides is not None:
        OmegaConf.save(OmegaConf.create(overrides), folder / ".hydra" / "overrides.yaml")
    if choices is not None:
        hydra = {"hydra": {"runtime": {"choices": choices}}}
        OmegaConf.save(OmegaConf.create(hydra), folder / ".hydra" / "hydra.yaml")
    return folder


# ---- files -------------------------------------------------------------------------------------
def test_run_config_resolves_hydra_interpolations_from_hydra_yaml(tmp_path):
    run = _hydra_run(tmp_path / "run", "seed: 3\ndataset:\n  path: ${hydra:runtime.cwd}/d.jsonl\n")
    (run / ".hydra" / "hydra.yaml").write_text("hydra:\n  runtime:\n    cwd: /somewhere\n")
    assert load_run_config(run).dataset.path == "/somewhere/d.jsonl"
    assert load_run_config(tmp_path) is None


def test_select_gives_the_default_without_config_key_or_resolvable_value():
    cfg = OmegaConf.create({"a": {"b": 2}, "env": "${oc.env:MULTIREWARD_SURELY_UNSET_VAR}"})
    assert select(cfg, "a.b") == 2
    assert select(cfg, "a.c", "d") == "d"
    assert select(None, "a.b", 7) == 7
    # a finished run's config read on another machine: the interpolation cannot resolve
    assert select(cfg, "env", "fallback") == "fallback"


def test_missing_files_read_as_empty(tmp_path):
    assert read_summary(tmp_path) == {}
    assert read_run_metrics(tmp_path) == []
    assert read_overrides(tmp_path) == {}
    assert read_choices(tmp_path) == {}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("summary.json", '{"eval": ', "summary.json: not valid JSON"),
        ("summary.json", "[]", "summary.json: a JSON object expected, found list"),
        ("metrics.jsonl", '{"step": 1}\n{"step": 2, "lo', "metrics.jsonl:2: unparsable"),
        ("metrics.jsonl", '{"step": 1}\n[2]\n', "metrics.jsonl:2: a JSON object expected"),
    ],
)
def test_a_damaged_file_is_named_with_its_line(tmp_path, name, text, message):
    """A cut-short file used to raise a bare JSONDecodeError that named no file."""
    (tmp_path / name).write_text(text)
    reader = read_summary if name == "summary.json" else read_run_metrics
    with pytest.raises(RunFileError, match=str(tmp_path)) as err:
        reader(tmp_path)
    assert message in str(err.value)


def test_overrides_drop_the_add_and_delete_prefixes_and_choices_skip_nulls(tmp_path):
    run = _hydra_run(
        tmp_path / "r",
        "seed: 0\n",
        overrides=["+exp=toy", "++trainer.lr=0.1", "~logger", "balancer=inverse"],
        choices={"model": "smollm2", "logger": None},
    )
    # "~logger" has no "=": a deletion, not a value
    assert read_overrides(run) == {"exp": "toy", "trainer.lr": "0.1", "balancer": "inverse"}
    assert read_choices(run) == {"model": "smollm2"}


def test_run_dir_reads_each_file_and_falls_back_in_order(tmp_path):
    cfg = "seed: 4\nexp_name: gsm\nmodel:\n  name_or_path: org/m\ntrainer:\n  method: drbo\n"
    run = RunDir(_hydra_run(tmp_path / "r", cfg))
    (run.path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    # no summary: seed from the config, scores empty
    assert (run.seed, run.model, run.exp, run.method) == (4, "org/m", "gsm", "drbo")
    assert run.scores("after") == {} and len(run.metrics) == 4
    other = RunDir(tmp_path / "bare")
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "summary.json").write_text(
        json.dumps({"seed": 2, "exp": "ifeval", "method": "laser", "eval": {"after": {"a": 0.5}}})
    )
    # no config: the summary's values, else 0 and "?"
    assert (other.seed, other.model, other.exp, other.method) == (2, "?", "ifeval", "laser")
    assert other.scores("after") == {"a": 0.5} and other.scores("before") == {}
    assert other.cfg is None and other.metrics == []


# ---- per-step series ---------------------------------------------------------------------------
def test_metric_series_by_prefix_skips_non_numbers():
    rows = [
        {"step": 1, "reward/a": 0.5, "reward/b": "n/a", "weight/a": 1.0},
        {"step": 3, "reward/a": 1, "reward/b": 0.25},
    ]
    assert metric_series(rows, "reward/") == {"a": ([1, 3], [0.5, 1.0]), "b": ([3], [0.25])}


def test_running_mean_by_hand():
    assert running_mean([1.0, 3.0, 2.0]) == [1.0, 2.0, 2.0]
    assert running_mean([]) == []


# ---- arms --------------------------------------------------------------------------------------
def test_step_arms_per_batch_per_query_and_none():
    assert step_arms({"arm": "fmt"}) == ["fmt"]
    assert step_arms({"arm": "fmt", "arms": "short,fmt,short"}) == ["short", "fmt", "short"]
    assert step_arms({"step": 1, "weight/fmt": 0.5}) == []
    assert step_arms({"arm": None}) == []


def test_arm_counts_count_prompts_per_query():
    rows = [{"arms": "fmt,short"}, {"arm": "fmt"}, {"weight/long": 1.0}]
    assert arm_counts(rows) == {"fmt": 2, "short": 1}


def test_overall_utilization_counts_steps_and_keeps_unpicked_arms():
    # long never picked: still listed (from weight/long), in config order
    assert arms_in_order(ROWS) == ["fmt", "short", "long"]
    assert arm_utilization(ROWS) == {"fmt": 0.75, "short": 0.25, "long": 0.0}
    # an arm without a weight column comes after the weighted ones
    assert arms_in_order([*ROWS, {"step": 5, "arm": "judge"}])[-1] == "judge"


def test_ensemble_rows_without_an_arm_are_ignored():
    rows = [*ROWS, {"step": 5, "weight/fmt": 0.5, "categories": "math"}]
    assert arm_utilization(rows) == arm_utilization(ROWS)
    assert arm_utilization([{"step": 1, "weight/fmt": 1.0}]) == {}
    assert sum(arm_utilization(rows).values()) == pytest.approx(1.0)
