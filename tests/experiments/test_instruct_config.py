"""The instruction-following LASeR experiment composes, validates and loads its data."""

from __future__ import annotations

from experiments.compose import compose_config
from experiments.validate import validate_config


def test_instruct_laser_composes_and_validates():
    cfg = compose_config("+exp=instruct_laser")
    validate_config(cfg)
    assert cfg.exp_name == "instruct_laser" and cfg.dataset.kind == "instruct"
    assert list(cfg.rewards.names) == ["pref", "judge", "relevance", "length"]
    assert cfg.rewards.routing == "all" and cfg.balancer.name == "linucb"
    assert cfg.trainer.loss == "dpo" and cfg.model.lora.enabled
    assert cfg.rewards.options.judge.judge_template.endswith("{response}")


def test_instruct_run_data_split():
    from common.data.run_data import load_run_data

    cfg = compose_config("+exp=instruct_laser")
    train, evals = load_run_data(cfg.dataset, list(cfg.rewards.names), cfg.rewards.routing)
    assert len(evals) == cfg.dataset.max_eval and len(train) >= 100
    assert not {ex.prompt for ex in train} & {ex.prompt for ex in evals}
    assert {ex.meta["category"] for ex in train} == {
        "product_description",
        "comparison",
        "how_to",
        "summary",
        "email",
        "list",
    }
