"""Impossible inputs refused before any model loads, each naming its key (issue 18's list)."""

from __future__ import annotations

import json
import logging

import pytest
from hydra.errors import ConfigCompositionException

from experiments.compose import compose_config
from experiments.validate import ConfigError, check_run_dir_writable, validate_config


def _refused(*overrides: str, exp: str = "+exp=debug") -> str:
    with pytest.raises(ConfigError) as err:
        validate_config(compose_config(exp, *overrides))
    return str(err.value)


@pytest.mark.parametrize("seed", ["abc", "1.7", "-3"])
def test_seed_must_be_a_non_negative_integer(seed):
    assert _refused(f"seed={seed}") == f"seed={seed!s} must be an integer in [0, 2**32)".replace(
        "seed=abc", "seed='abc'"
    )


def test_trainer_steps_must_be_a_positive_integer():
    assert "trainer.steps=" in _refused("trainer.steps=0")


@pytest.mark.parametrize(
    "override",
    ["trainer.steps=2.5", "trainer.batch_size=1.5", "trainer.steps=abc", "trainer.stepz=3"],
)
def test_the_trainer_schema_refuses_a_wrong_type_or_an_unknown_key_by_name(override):
    # common.training.config.TrainerConfig: Hydra refuses these while composing
    with pytest.raises(ConfigCompositionException) as err:
        compose_config("+exp=debug", override)
    cause = str(err.value.__cause__)
    assert "full_key: " + override.split("=")[0] in cause and "TrainerConfig" in cause


@pytest.mark.parametrize("value", ["0", "-4"])
def test_max_new_tokens_must_be_positive_integers(value):
    msg = _refused(f"dataset.max_new_tokens.generation={value}")
    assert msg.startswith(f"dataset.max_new_tokens.generation={value}")
    assert "must be an integer > 0" in msg


def test_a_model_path_that_does_not_exist_is_named(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-model"
    msg = _refused(f"model.name_or_path={missing}")
    assert f"model.name_or_path='{missing}': no such folder" in msg
    # a hub id is left to the loader online; offline it must be in the cache
    hub_id = compose_config("+exp=debug", "model.name_or_path=someorg/somemodel")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    validate_config(hub_id)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="'someorg/somemodel': no such local folder, and the hub"):
        validate_config(hub_id)


def test_model_positions_are_read_from_a_local_config(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"max_position_embeddings": 8}))
    msg = _refused(f"model.name_or_path={tmp_path}")  # debug's largest budget is 8 tokens
    assert msg.startswith("dataset.max_new_tokens allows 8 new tokens, but the model has only 8")


def test_a_generation_budget_that_fills_the_positions_is_refused():
    msg = _refused("dataset.max_new_tokens.generation=600")
    assert "dataset.max_new_tokens allows 600 new tokens" in msg
    assert "only 512 positions" in msg and "model.name_or_path=tiny-gpt2" in msg


def test_prompts_longer_than_the_positions_are_cut_with_a_warning_naming_the_keys(caplog):
    with caplog.at_level(logging.WARNING):
        validate_config(compose_config("+exp=debug", "dataset.max_prompt_tokens=900"))
    assert "dataset.max_prompt_tokens=900" in caplog.text
    assert "512 positions of model tiny-gpt2" in caplog.text and "to 504 tokens" in caplog.text


@pytest.mark.parametrize("exp, name", [("+exp=laser_debug", "laser_dpo")])
def test_pair_building_losses_need_two_samples(exp, name):
    msg = _refused("trainer.n_samples=1", exp=exp)
    assert f"trainer.n_samples=1: trainer {name} builds preference pairs" in msg
    assert "at least 2" in msg


def test_best_of_n_needs_two_samples():
    msg = _refused("trainer=best_of_n", "trainer.n_samples=1", exp="+exp=laser_debug")
    assert "trainer.n_samples=1: trainer best_of_n builds a best-of-n choice" in msg


@pytest.mark.parametrize(
    "override, words",
    [
        ("resume=maybe", "resume='maybe'; allowed values: false, true, must"),
        ("dataset.max_eval=-1", "dataset.max_eval=-1 must be an integer >= 0"),
        ("dataset.max_train=0", "dataset.max_train=0 must be an integer > 0"),
        ("trainer.keep_checkpoints=0", "trainer.keep_checkpoints=0 must be an integer > 0"),
        ("trainer.save_every=-1", "trainer.save_every=-1 must be an integer >= 0"),
    ],
)
def test_other_integer_keys_name_themselves(override, words):
    assert _refused(override) == words


def test_a_dev_set_stop_without_eval_rows_is_refused():
    msg = _refused("dataset.max_eval=0", "trainer.dev_stop.enabled=true", exp="+exp=laser_debug")
    assert msg == "trainer.dev_stop.enabled=true needs eval rows to score, but dataset.max_eval=0"


def test_max_eval_zero_resume_must_and_zero_save_every_are_valid():
    validate_config(
        compose_config("+exp=debug", "dataset.max_eval=0", "resume=must", "trainer.save_every=0")
    )


def test_a_read_only_run_directory_is_named(tmp_path, monkeypatch):
    import errno
    from pathlib import Path

    def read_only(self, data):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "write_bytes", read_only)
    with pytest.raises(ConfigError) as err:
        check_run_dir_writable(tmp_path)
    assert str(err.value) == (
        f"run directory {tmp_path} (hydra.run.dir) is not writable: Read-only file system"
    )


def test_batch_size_larger_than_the_training_rows_fails_before_the_model_loads(
    tmp_path, monkeypatch
):
    import common.training.loop
    from drbo.trainer import PolicyGradientLoop

    def no_model(*args, **kwargs):
        raise AssertionError("the model loaded before the data was checked")

    monkeypatch.setattr(common.training.loop, "load_causal_lm", no_model)
    cfg = compose_config("+exp=debug", "trainer.batch_size=500", "trainer.standardize_k=500")
    with pytest.raises(ValueError) as err:
        PolicyGradientLoop(cfg, tmp_path)
    msg = str(err.value)
    assert msg.startswith("trainer.batch_size=500 is larger than the ")
    assert "training rows of dataset bundled shopbench sample" in msg


# ---- issue 29: a reward that cannot read the data's gold, for every trainer ----------------
@pytest.mark.parametrize(
    "trainer", ["laser_dpo", "best_of_n", "rollout_eval", "grpo", "rloo", "remax"]
)
def test_a_reward_that_cannot_score_the_data_is_refused_for_every_trainer(trainer):
    # mc_accuracy reads an option index; GSM8K's gold is a number string ('72'): under
    # routing=all every row would score 0, a dead arm reported as a measured 0.0
    msg = _refused(
        f"trainer={trainer}", "rewards.names=[fmt,short,long,mc_accuracy]", exp="+exp=laser_debug"
    )
    assert msg.startswith("rewards.names: mc_accuracy cannot score ")
    assert "rows of dataset bundled gsm8k sample routed to it (rewards.routing=all)" in msg
    assert "train.jsonl.gz:1), metric math_exact: expected an int choice index >= 0, got " in msg


def test_an_alias_that_cannot_score_the_data_names_its_scorer():
    msg = _refused(
        "rewards.names=[fmt,short,long,em]",
        "+rewards.options.em={scorer: alce_em_recall}",
        exp="+exp=laser_debug",
    )
    assert msg.startswith("rewards.names: em (scorer alce_em_recall) cannot score ")
    assert "gold must be a dict with a non-empty 'qa_pairs' list" in msg


# ---- issue 29: sampling and trainer numbers refused before the model loads -----------------
@pytest.mark.parametrize(
    "exp, override, words",
    [
        ("+exp=debug", "trainer.top_p=1.5", "trainer.top_p=1.5 must be in (0, 1]"),
        ("+exp=debug", "trainer.top_p=0", "trainer.top_p=0.0 must be in (0, 1]"),
        ("+exp=laser_debug", "trainer.top_p=-0.1", "trainer.top_p=-0.1 must be in (0, 1]"),
        ("+exp=debug", "trainer.gamma=1.5", "trainer.gamma=1.5 must be in [0, 1]"),
        ("+exp=debug", "trainer.betas=[0.9,1.0]", "trainer.betas=[0.9, 1.0] must be two numbers"),
        ("+exp=debug", "trainer.weight_decay=-1", "trainer.weight_decay=-1.0 must be >= 0"),
        ("+exp=debug", "trainer.adv_clip=0", "trainer.adv_clip=0.0 must be > 0"),
        ("+exp=laser_debug", "trainer.beta=0", "trainer.beta=0.0 must be > 0"),
        ("+exp=laser_debug", "trainer.loss=dpoo", "trainer.loss='dpoo'; allowed values: dpo_nll"),
        ("+exp=laser_debug", "trainer.pair_strategy=best", "trainer.pair_strategy='best'; allowed"),
        ("+exp=laser_debug", "trainer.context=mean", "trainer.context='mean'; allowed values: "),
        ("+exp=laser_debug", "trainer.pairs_per_prompt=0", "trainer.pairs_per_prompt=0 must be"),
        ("+exp=laser_debug", "model.lora.r=0", "model.lora.r=0 must be an integer > 0"),
        ("+exp=laser_debug", "model.lora.dropout=1", "model.lora.dropout=1 must be in [0, 1)"),
        ("+exp=debug", "engine.grad_accum=0", "engine.grad_accum=0 must be an integer > 0"),
        ("+exp=debug", "dataset.split_seed=-1", "dataset.split_seed=-1 must be an integer >= 0"),
    ],
)
def test_out_of_range_sampling_and_trainer_numbers_name_the_key(exp, override, words):
    assert _refused(override, exp=exp).startswith(words)


def test_in_range_edges_are_accepted():
    validate_config(compose_config("+exp=debug", "trainer.top_p=1.0", "engine.grad_clip=0"))


# ---- issue 29: forced bf16 on a CPU that only emulates it ----------------------------------
@pytest.mark.parametrize("fast", [False, True])
def test_forced_bf16_on_a_cpu_without_native_bf16_warns_naming_the_key(fast, monkeypatch, caplog):
    import torch

    import common.models.precision

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(common.models.precision, "cpu_has_fast_bf16", lambda: fast)
    with caplog.at_level(logging.WARNING):
        validate_config(compose_config("+exp=debug", "model.precision=bf16"))
    warned = "model.precision=bf16 on a CPU without native bf16" in caplog.text
    assert warned is not fast
    if warned:
        assert "bf16 is emulated and runs slower than fp32" in caplog.text
        assert "model.precision=auto picks fp32 here" in caplog.text
