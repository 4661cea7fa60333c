"""The trainer registry: each ``conf/trainer/*.yaml`` names a registered loop by
``trainer.name`` only, and the loop class carries the method label that summary.json, W&B
and compare's rows use (one place each)."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from experiments.trainers import TRAINERS

CONF = Path(__file__).resolve().parents[2] / "conf" / "trainer"
# The labels earlier runs wrote as summary.json "method" and config trainer.method: compare
# groups old and new run folders together only while these stay the same.
LABELS = {
    "remax": "drbo",
    "grpo": "grpo",
    "rloo": "rloo",
    "laser_dpo": "laser",
    "best_of_n": "laser_best_of_n",
    "rollout_eval": "rollout_eval",
}


@pytest.mark.parametrize("path", sorted(CONF.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_trainer_yaml_names_a_registered_loop_once(path):
    cfg = OmegaConf.load(path)
    assert cfg.name == path.stem and cfg.name in TRAINERS
    assert "method" not in cfg  # the label lives on the loop class


def test_registry_and_yamls_match():
    assert set(TRAINERS) == {p.stem for p in CONF.glob("*.yaml")}


def test_loop_classes_carry_the_method_labels():
    from drbo.trainer import METHODS

    def label(name: str) -> str:
        # the REINFORCE-family presets share one loop: the label follows the estimator
        advantage = OmegaConf.load(CONF / f"{name}.yaml").get("advantage")
        return METHODS[advantage] if advantage else TRAINERS.get(name).method

    assert {name: label(name) for name in TRAINERS} == LABELS


def test_unknown_trainer_names_the_key_and_the_allowed_values():
    with pytest.raises(KeyError, match=r"trainer\.name='ppo': unknown trainer.*: best_of_n, grpo"):
        TRAINERS.get("ppo")
