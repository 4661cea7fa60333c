"""What resume does with a run directory, decided before any model loads: nothing to resume
(said, or refused with resume=must), trainer.steps below the checkpoint's step, and a config
that changes the trajectory (refused with the keys named, the .hydra files put back)."""

from __future__ import annotations

import logging

import pytest
from omegaconf import OmegaConf

from common.rundir.checkpoint import CheckpointManager, NoIntactCheckpointError
from common.rundir.resume import (
    ResumeError,
    config_drift,
    copy_hydra_files,
    plan_resume,
    resolved_config,
)
from experiments.compose import compose_config

DEBUG = ("+exp=debug", "trainer.steps=4")


def _checkpoint(run_dir, cfg, step=2):
    """A checkpoint of ``step`` trained with ``cfg``, with the run's .hydra files copied in,
    as TrainingLoop.save_checkpoint writes it."""
    hydra = run_dir / ".hydra"
    hydra.mkdir(parents=True, exist_ok=True)
    (hydra / "config.yaml").write_text(OmegaConf.to_yaml(cfg))

    def write(folder):
        (folder / "model.bin").write_bytes(b"weights")
        copy_hydra_files(run_dir, folder)

    return CheckpointManager(run_dir / "checkpoints").save(
        step, write, {"config": resolved_config(cfg)}
    )


def test_resume_true_with_nothing_to_resume_says_so_and_starts_fresh(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert plan_resume(compose_config(*DEBUG, "resume=true"), tmp_path) is None
    assert f"nothing to resume ({tmp_path} holds no checkpoints/ folder)" in caplog.text
    assert plan_resume(compose_config(*DEBUG), tmp_path) is None  # resume=false: silent


def test_resume_must_with_nothing_to_resume_fails(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    with pytest.raises(ResumeError, match=r"resume=must: nothing to resume: .*holds no checkpoint"):
        plan_resume(compose_config(*DEBUG, "resume=must"), tmp_path)


def test_every_checkpoint_corrupt_stops_instead_of_restarting(tmp_path):
    folder = _checkpoint(tmp_path, compose_config(*DEBUG))
    (folder / "model.bin").write_bytes(b"weighTs")
    with pytest.raises(NoIntactCheckpointError, match="step-00000002: model.bin does not match"):
        plan_resume(compose_config(*DEBUG, "resume=true"), tmp_path)


def test_same_config_resumes_and_allowed_keys_may_change(tmp_path):
    folder = _checkpoint(tmp_path, compose_config(*DEBUG))
    same = compose_config(*DEBUG, "resume=true")
    assert plan_resume(same, tmp_path) == folder
    allowed = compose_config(
        "+exp=debug",
        "resume=must",
        "trainer.steps=10",
        "dataset.max_eval=2",
        "trainer.eval_after=false",
        "trainer.save_every=1",
        "logger=wandb_offline",
    )
    assert plan_resume(allowed, tmp_path) == folder


def test_steps_below_the_checkpoint_are_refused(tmp_path):
    _checkpoint(tmp_path, compose_config(*DEBUG), step=3)
    with pytest.raises(ResumeError, match=r"trainer.steps=2 is below .*step 3.*trainer.steps>=3"):
        plan_resume(compose_config("+exp=debug", "trainer.steps=2", "resume=true"), tmp_path)


@pytest.mark.parametrize(
    "override, keys",
    [
        ("balancer=average", ["balancer.name"]),
        ("seed=5", ["seed"]),
        ("balancer=linucb", ["balancer.name"]),
        ("model.lora.r=8", ["model.lora.r"]),
        ("rewards.names=[mc_accuracy,ndcg]", ["rewards.names"]),
        ("trainer.lr=0.5", ["trainer.lr"]),
        ("dataset.split_seed=3", ["dataset.split_seed"]),
    ],
)
def test_a_trajectory_key_change_is_refused_naming_it_and_the_run_keeps_its_label(
    tmp_path, override, keys
):
    trained = compose_config(*DEBUG)
    folder = _checkpoint(tmp_path, trained)
    original = (tmp_path / ".hydra" / "config.yaml").read_text()
    # Hydra rewrites .hydra/config.yaml for the new launch before the run's code starts
    (tmp_path / ".hydra" / "config.yaml").write_text("rewritten by the refused launch\n")
    with pytest.raises(ResumeError) as err:
        plan_resume(compose_config(*DEBUG, override, "resume=true"), tmp_path)
    msg = str(err.value)
    assert str(folder) in msg and "change the training trajectory" in msg
    for key in keys:
        assert f"  {key}: " in msg
    assert (tmp_path / ".hydra" / "config.yaml").read_text() == original


def test_config_drift_lists_changed_added_and_removed_keys_outside_the_allowed_ones():
    saved = {"seed": 0, "trainer": {"steps": 4, "lr": 1.0}, "logger": {"backend": "none"}}
    current = {"seed": 1, "trainer": {"steps": 9, "beta": 0.1}, "logger": {"backend": "wandb"}}
    assert config_drift(saved, current) == [
        ("seed", 0, 1),
        ("trainer.beta", "<absent>", 0.1),
        ("trainer.lr", 1.0, "<absent>"),
    ]


def test_a_key_added_to_a_schema_at_its_default_is_not_drift(tmp_path):
    """A checkpoint written before ``balancer.statistic`` existed resumes when the run keeps
    the schema default (the old behaviour); set to another value it is drift."""
    from common.rundir.resume import resolved_config, schema_defaults

    cfg = compose_config(*DEBUG)
    defaults = schema_defaults(cfg)
    assert defaults["balancer.statistic"] == "scaled" and defaults["trainer.steps"] == 30
    assert "trainer.name" not in defaults  # MISSING: no default to compare with
    old = resolved_config(cfg)
    del old["balancer"]["statistic"], old["trainer"]["mab_reward"]["low_q"]
    assert config_drift(old, resolved_config(cfg), defaults) == []
    raw = compose_config(*DEBUG, "balancer.statistic=raw")
    assert config_drift(old, resolved_config(raw), schema_defaults(raw)) == [
        ("balancer.statistic", "<absent>", "raw")
    ]


def test_a_checkpoint_without_a_recorded_config_is_not_compared(tmp_path, caplog):
    folder = CheckpointManager(tmp_path / "checkpoints").save(
        1, lambda f: (f / "m.bin").write_bytes(b"x"), {}
    )
    with caplog.at_level(logging.WARNING):
        assert plan_resume(compose_config(*DEBUG, "seed=3", "resume=true"), tmp_path) == folder
    assert "records no config" in caplog.text
