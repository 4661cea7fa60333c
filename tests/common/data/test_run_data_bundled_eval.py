"""Bundled data with its own held-out file (GSM8K test, the IFEval testbed) and `listed`
routing in the run's data."""

from __future__ import annotations

import json

import pytest

from common.data.run_data import load_run_data
from experiments.compose import compose_config


def _data(*overrides):
    cfg = compose_config(*overrides)
    return load_run_data(cfg.dataset, list(cfg.rewards.names), cfg.rewards.routing)


def test_gsm8k_trains_on_train_and_evaluates_on_a_fixed_test_subset():
    train, evals = _data("+exp=gsm8k_laser")
    assert len(train) == 7473 and len(evals) == 16
    assert all(ex.meta["source"].endswith("test.jsonl.gz") for ex in evals)
    again, evals_again = _data("+exp=gsm8k_laser")
    assert [e.prompt for e in evals] == [e.prompt for e in evals_again]
    _, other = _data("+exp=gsm8k_laser", "dataset.split_seed=1")
    assert [e.prompt for e in other] != [e.prompt for e in evals]


def test_gsm8k_whole_test_set_on_request():
    _, evals = _data("+exp=gsm8k_laser", "dataset.max_eval=null")
    assert len(evals) == 1319


def test_a_user_file_without_eval_path_is_split(tmp_path):
    path = tmp_path / "mine.jsonl"
    rows = [{"question": f"{i} + 1?", "answer": f"#### {i + 1}"} for i in range(20)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    train, evals = _data("+exp=gsm8k_laser", f"dataset.path={path}")
    assert len(train) + len(evals) == 20 and len(evals) == 4


def test_testbed_run_data_is_disjoint_and_covers_every_family():
    train, evals = _data("+exp=ifeval_drbo", "dataset.max_eval=35")
    assert len(train) == 528 and len(evals) == 35
    assert not {e.prompt for e in train} & {e.prompt for e in evals}
    families = {m for e in evals for m in e.meta["metrics"]}
    assert families == set(compose_config("+exp=ifeval_drbo").rewards.names)


def test_listed_routing_refuses_a_reward_no_row_lists(tmp_path):
    path = tmp_path / "rows.jsonl"
    row = {"key": 1, "prompt": "p", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "key": 2}) + "\n")
    with pytest.raises(ValueError, match="no rows for metric if_keywords"):
        _data("+exp=ifeval_drbo", f"dataset.path={path}")


def test_a_run_of_one_family_keeps_only_the_rows_carrying_it():
    """Rows that list none of the run's rewards would train on a masked reward of 0 and be
    scored on nothing: a single-family run keeps train and eval rows that carry it."""
    train, evals = _data(
        "+exp=ifeval_drbo",
        "rewards.names=[if_case]",
        "balancer=single",
        "~balancer.every",
        "balancer.metric=if_case",
        "dataset.max_eval=null",
    )
    all_train, all_evals = _data("+exp=ifeval_drbo", "dataset.max_eval=null")
    carrying = [e for e in all_train if "if_case" in e.meta["metrics"]]
    assert 0 < len(train) == len(carrying) < len(all_train)
    assert all("if_case" in e.meta["metrics"] for e in train + evals)
    assert len(evals) == sum("if_case" in e.meta["metrics"] for e in all_evals) < len(all_evals)


def test_a_dev_split_of_the_training_rows_replaces_the_held_out_file():
    """Tuning never reads the held-out prompts: dataset.dev_fraction evaluates on a seeded
    split of the 528 training rows."""
    train, dev = _data("+exp=ifeval_drbo", "dataset.dev_fraction=0.2", "dataset.max_eval=null")
    all_train, held_out = _data("+exp=ifeval_drbo", "dataset.max_eval=null")
    assert len(train) + len(dev) == len(all_train) == 528
    assert 0.15 < len(dev) / 528 < 0.25
    assert {e.prompt for e in dev} <= {e.prompt for e in all_train}
    assert not {e.prompt for e in dev} & {e.prompt for e in held_out}
    assert not {e.prompt for e in dev} & {e.prompt for e in train}
    again, dev_again = _data(
        "+exp=ifeval_drbo", "dataset.dev_fraction=0.2", "dataset.max_eval=null"
    )
    assert [e.prompt for e in dev] == [e.prompt for e in dev_again]
