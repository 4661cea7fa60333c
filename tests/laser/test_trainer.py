"""The LASeR loop on a tiny GPT-2: LoRA-only updates, bandit state through a resume, and
mixers crossing methods (a DRBO balancer over reward models, a bandit over DRBO metrics)."""

import json

import pytest
import torch

from common.tracking import read_metrics
from experiments.compose import compose_config
from laser.trainer import LaserLoop

# Cheap arms with continuous scores, so sampled responses rarely tie.
TINY = ("+exp=laser_debug", "trainer.eval_before=false", "trainer.eval_after=false")


def _params(loop):
    return {n: p.detach().clone() for n, p in loop.engine.module.named_parameters()}


def test_iteration_changes_only_lora_weights(tmp_path):
    loop = LaserLoop(compose_config(*TINY, "trainer.steps=3"), tmp_path)
    before = _params(loop)
    loop.fit()
    after = _params(loop)
    changed = {n for n in before if not torch.equal(before[n], after[n])}
    assert changed and all("lora_" in n for n in changed)
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3]
    for r in rows:
        assert r["arm"] in ("fmt", "short", "long") and r[f"weight/{r['arm']}"] == 1.0
        assert r["pairs"] >= 1 and torch.isfinite(torch.tensor(r["loss"]))
        assert 0.0 <= r["mab_reward"] <= 1.0
    assert (tmp_path / "plots" / "arms.png").exists()


def test_resume_restores_the_bandit_and_the_trajectory(tmp_path):
    overrides = (*TINY, "trainer.steps=4", "trainer.save_every=2")
    full = LaserLoop(compose_config(*overrides), tmp_path / "full")
    full.fit()

    class Killed(Exception):
        pass

    cut = LaserLoop(compose_config(*overrides), tmp_path / "cut")
    original = cut.train_step

    def dies_at_step_3(step, batch):
        if step == 3:
            raise Killed
        return original(step, batch)

    cut.train_step = dies_at_step_3
    with pytest.raises(Killed):
        cut.fit()
    cut.tracker.finish()
    saved = json.loads(
        (tmp_path / "cut" / "checkpoints" / "step-00000002" / "trainer_state.json").read_text()
    )
    resumed = LaserLoop(compose_config(*overrides, "resume=true"), tmp_path / "cut")
    resumed.resume()
    assert resumed.mixer.state_dict() == saved["mixer"]  # LinUCB's A, b and RNG restored
    assert resumed.mab.state_dict() == saved["mab"]
    resumed.start_step = 1  # let fit() resume again from scratch, as a fresh process would
    resumed._resume_from = resumed.checkpoints.latest()
    resumed.fit()

    def strip(rows):
        return [
            {k: v for k, v in r.items() if not k.startswith(("time/", "tokens_per_s"))}
            for r in rows
        ]

    assert strip(read_metrics(tmp_path / "full" / "metrics.jsonl")) == strip(
        read_metrics(tmp_path / "cut" / "metrics.jsonl")
    )
    for n, p in _params(resumed).items():
        torch.testing.assert_close(p, _params(full)[n], rtol=0, atol=0)


def test_drbo_balancer_weights_reward_models_in_a_laser_run(tmp_path):
    loop = LaserLoop(
        compose_config(*TINY, "trainer.steps=2", "balancer=inverse", "balancer.every=1"), tmp_path
    )
    loop.fit()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    # dense weights: every reward model scored every step, so no single arm column is one-hot
    assert all(
        sum(r[f"weight/{m}"] for m in ("fmt", "short", "long")) == pytest.approx(1.0) for r in rows
    )
    assert all("reward/short" in r and "reward/long" in r for r in rows)


def test_bandit_picks_a_metric_in_a_drbo_run(tmp_path):
    from drbo.trainer import ReMaxLoop

    cfg = compose_config(
        "+exp=debug",
        "balancer=linucb",
        "trainer.steps=2",
        "rewards.names=[multilingual_sim,sent_sim]",
        "trainer.eval_before=false",
        "trainer.eval_after=false",
        "trainer.standardize_k=8",
    )
    loop = ReMaxLoop(cfg, tmp_path)
    loop.fit()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    for r in rows:
        assert r["arm"] in ("multilingual_sim", "sent_sim")
        assert r[f"weight/{r['arm']}"] == 1.0
    assert loop.mixer.state_dict()["dim"] == 64  # contexts came from the tiny policy


def test_best_of_n_learns_a_reranker_without_touching_the_policy(tmp_path):
    from laser.best_of_n import BestOfNLoop

    loop = BestOfNLoop(
        compose_config(
            "+exp=laser_debug", "trainer=best_of_n", "trainer.steps=4", "dataset.max_eval=4"
        ),
        tmp_path,
    )
    before = {n: p.detach().clone() for n, p in loop.model.named_parameters()}
    result = loop.fit()
    for n, p in loop.model.named_parameters():
        assert torch.equal(before[n], p)
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert all(r["arm"] in ("fmt", "short", "long") and r["nll"] > 0 for r in rows)
    assert loop.mixer.state_dict()["dim"] == 64
    assert set(result["eval"]["after"]) == {"fmt", "short", "long"}


def test_dev_set_stop_ends_training_after_a_stalled_iteration(tmp_path):
    # min_improvement 2.0 can never be met (scores are in [0, 1]): stop after iteration 2
    loop = LaserLoop(
        compose_config(
            *TINY,
            "trainer.steps=6",
            "dataset.max_eval=2",
            "trainer.dev_stop.enabled=true",
            "trainer.dev_stop.metric=short",
            "trainer.dev_stop.min_improvement=2.0",
        ),
        tmp_path,
    )
    result = loop.fit()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3, 4] and result["steps"] == 4
    assert "dev/short" in rows[1] and "dev/short" in rows[3] and "dev/short" not in rows[2]
