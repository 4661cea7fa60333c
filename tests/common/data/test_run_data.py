"""load_run_data: a dataset emptied by a filter says which filter, which file, what was
asked for."""

from __future__ import annotations

import json

import pytest
from omegaconf import OmegaConf

from common.data.run_data import load_run_data


def _row(metric: str, gold, i: int) -> dict:
    return {
        "input_field": f"question {i}",
        "output_field": gold,
        "task_name": "task1",
        "task_type": "multiple-choice" if metric == "accuracy" else "generation",
        "metric": metric,
    }


def _dataset(tmp_path, rows, **extra):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return OmegaConf.create(
        {
            "kind": "shopbench",
            "path": str(path),
            "eval_path": None,
            "eval_fraction": 0.5,
            "split_seed": 0,
            "max_train": None,
            "max_eval": None,
            **extra,
        }
    )


MC_ROWS = [_row("accuracy", 1, i) for i in range(4)]


def test_a_reward_without_rows_names_the_filter_file_and_metric(tmp_path):
    ds = _dataset(tmp_path, MC_ROWS)
    with pytest.raises(ValueError) as err:
        load_run_data(ds, ["mc_accuracy", "ndcg"], "by_example")
    msg = str(err.value)
    assert f"dataset {ds.path} has no rows for metric ndcg" in msg
    assert "after filtering by rewards.names" in msg and "metrics present: mc_accuracy" in msg


def test_task_metric_filter_is_named(tmp_path):
    ds = _dataset(tmp_path, MC_ROWS, task_metric="rouge_l")
    with pytest.raises(
        ValueError, match=r"no rows for metric rouge_l after filtering by dataset\.task_metric"
    ):
        load_run_data(ds, ["mc_accuracy"], "all")


def test_eval_file_emptied_by_the_filters_says_so(tmp_path):
    eval_path = tmp_path / "eval.jsonl"
    eval_path.write_text(json.dumps(_row("rougel", "a reference", 0)) + "\n")
    ds = _dataset(tmp_path, MC_ROWS, eval_path=str(eval_path))
    with pytest.raises(ValueError) as err:
        load_run_data(ds, ["mc_accuracy"], "by_example")
    msg = str(err.value)
    assert f"dataset.eval_path={eval_path} has no rows after filtering by" in msg
    assert "rewards.names=['mc_accuracy']" in msg and "metrics present: rouge_l" in msg


def test_max_eval_zero_means_no_eval_rows(tmp_path):
    rows = [_row("accuracy", i % 2, i) for i in range(6)]
    train, evals = load_run_data(_dataset(tmp_path, rows, max_eval=0), ["mc_accuracy"], "all")
    assert evals == [] and len(train) == 3


def test_training_rows_repeating_an_eval_prompt_are_removed_and_counted(tmp_path, caplog):
    # each question twice: the split puts one copy of some in eval, the other in train
    rows = [_row("accuracy", 0, i // 2) for i in range(12)]
    with caplog.at_level("WARNING"):
        train, evals = load_run_data(_dataset(tmp_path, rows), ["mc_accuracy"], "all")
    assert not {ex.prompt for ex in train} & {ex.prompt for ex in evals}
    assert len(evals) == 6  # the eval split is kept whole
    dropped = 6 - len(train)
    assert dropped > 0
    assert f"{dropped} training row(s) repeat" in caplog.text
    assert (
        "removed from training" in caplog.text
        and f"{len(train)} training rows remain" in caplog.text
    )


def test_prompt_token_limit_fits_prompt_and_budget_into_the_positions():
    from common.data.run_data import prompt_token_limit

    ds = OmegaConf.create({"max_prompt_tokens": 768, "max_new_tokens": {"a": 8, "default": 48}})
    assert prompt_token_limit(ds, None) == 768  # unknown positions: as configured
    assert prompt_token_limit(ds, 4096) == 768
    assert prompt_token_limit(ds, 512) == 512 - 48
    ds.max_prompt_tokens = None
    assert prompt_token_limit(ds, 512) == 464
    with pytest.raises(ValueError, match="allows 48 new tokens, but the model has only 48"):
        prompt_token_limit(ds, 48)
