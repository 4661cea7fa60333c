"""Runs of one sweep share a W&B group and are named by their overrides."""

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import OmegaConf, open_dict

from experiments.compose import CONF
from experiments.run import name_sweep_run


@pytest.fixture(autouse=True)
def _clear_hydra_config():
    yield
    HydraConfig.instance().cfg = None  # other tests must not see this fake app's config


def _with_hydra(mode: RunMode, *overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=["paths.output_dir=/tmp/x", "+exp=debug", "logger=wandb_offline", *overrides],
            return_hydra_config=True,
        )
    with open_dict(cfg):
        cfg.hydra.mode = mode
        cfg.hydra.sweep.dir = "/tmp/x/multirun/debug/2026-11-23_10-00-00"
        cfg.hydra.job.override_dirname = "balancer=inverse,seed=1"
        cfg.hydra.job.num = 3
        cfg.hydra.runtime.output_dir = "/tmp/x/run"
    HydraConfig.instance().set_config(cfg)
    job = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    OmegaConf.set_struct(job, False)
    return job


def test_sweep_jobs_share_a_group_and_carry_their_overrides_as_name():
    cfg = _with_hydra(RunMode.MULTIRUN)
    name_sweep_run(cfg)
    assert cfg.logger.group == "debug/2026-11-23_10-00-00"
    assert cfg.logger.name == "balancer=inverse,seed=1"


def test_explicit_group_wins_and_single_runs_are_left_alone():
    cfg = _with_hydra(RunMode.MULTIRUN, "logger.group=my_table")
    name_sweep_run(cfg)
    assert cfg.logger.group == "my_table"
    cfg = _with_hydra(RunMode.RUN)
    name_sweep_run(cfg)
    assert cfg.logger.group is None and cfg.logger.name is None
