"""The LASeR loop on a tiny GPT-2: LoRA-only updates, bandit state through a resume, and
mixers crossing methods (a DRBO balancer over reward models, a bandit over DRBO metrics)."""

import json

import pytest
import torch

from common.mixers.step import TIME_KEYS
from common.rundir.tracking import read_metrics
from experiments.compose import compose_config
from laser.trainer import LaserLoop

# Cheap arms with continuous scores, so sampled responses rarely tie.
TINY = ("+exp=laser_debug", "trainer.eval_before=false", "trainer.eval_after=false")


def test_iteration_changes_only_lora_weights(tmp_path, param_snapshot):
    loop = LaserLoop(compose_config(*TINY, "trainer.steps=3"), tmp_path)
    before = param_snapshot(loop)
    loop.fit()
    after = param_snapshot(loop)
    changed = {n for n in before if not torch.equal(before[n], after[n])}
    assert changed and all("lora_" in n for n in changed)
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3]
    for r in rows:
        assert r["arm"] in ("fmt", "short", "long") and r[f"weight/{r['arm']}"] == 1.0
        assert r["pairs"] >= 1 and torch.isfinite(torch.tensor(r["loss"]))
        assert 0.0 <= r["mab_reward"] <= 1.0
        assert set(TIME_KEYS) <= set(r)  # the timing keys every trainer logs
    assert (tmp_path / "plots" / "arms.png").exists()


def test_resume_restores_the_bandit_and_the_trajectory(
    tmp_path, param_snapshot, kill_at_step, without_timings
):
    overrides = (*TINY, "trainer.steps=4", "trainer.save_every=2")
    full = LaserLoop(compose_config(*overrides), tmp_path / "full")
    full.fit()

    cut = LaserLoop(compose_config(*overrides), tmp_path / "cut")
    Killed = kill_at_step(cut, 3)
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

    assert without_timings(read_metrics(tmp_path / "full" / "metrics.jsonl")) == without_timings(
        read_metrics(tmp_path / "cut" / "metrics.jsonl")
    )
    for n, p in param_snapshot(resumed).items():
        torch.testing.assert_close(p, param_snapshot(full)[n], rtol=0, atol=0)


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
    from drbo.trainer import PolicyGradientLoop

    cfg = compose_config(
        "+exp=debug",
        "balancer=linucb",
        "trainer.steps=2",
        "rewards.names=[multilingual_sim,sent_sim]",
        "trainer.eval_before=false",
        "trainer.eval_after=false",
        "trainer.standardize_k=8",
    )
    loop = PolicyGradientLoop(cfg, tmp_path)
    loop.fit()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    for r in rows:
        assert r["arm"] in ("multilingual_sim", "sent_sim")
        assert r[f"weight/{r['arm']}"] == 1.0
    assert loop.mixer.state_dict()["dim"] == 64  # contexts came from the tiny policy


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


def test_an_arm_whose_scores_all_tie_is_scored_zero_not_left_optimistic(tmp_path):
    """answer_format gives a random tiny model's outputs 0 every time: no preference pair, no
    training. The bandit must still hear about it (MAB reward 0), or LinUCB would keep the
    arm's optimistic bound and pick it forever."""
    import numpy as np

    loop = LaserLoop(
        compose_config(
            *TINY,
            "rewards.names=[fmt]",
            "~rewards.options.short",
            "~rewards.options.long",
            "trainer.steps=2",
        ),
        tmp_path,
    )
    loop.fit()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["loss"] for r in rows] == [None, None]
    assert [r["mab_reward"] for r in rows] == [0.0, 0.0]
    a = loop.mixer.A[0]
    assert not np.allclose(a, np.eye(a.shape[0]) * a[0, 0])  # two context updates landed


def test_nan_loss_stops_the_step_before_the_update_and_keeps_the_checkpoint(
    tmp_path, param_snapshot
):
    """The DPO loss of step 3 turns NaN: FloatingPointError naming the step, raised before
    the optimizer step (weights unchanged), checkpoints of steps 1-2 untouched."""
    import hashlib

    def files(folder):
        return {
            str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    loop = LaserLoop(compose_config(*TINY, "trainer.steps=4", "trainer.save_every=1"), tmp_path)
    real_loss, real_step, seen = loop._loss, loop.train_step, {}

    def nan_at_step_3(rollout, scores, dummy=False):
        loss, figures, per_prompt = real_loss(rollout, scores, dummy)
        return (loss * float("nan") if seen.get("step") == 3 else loss), figures, per_prompt

    def snapshot_before_step(step, batch):
        seen["step"] = step
        if step == 3:
            seen.update(weights=param_snapshot(loop), checkpoints=files(tmp_path / "checkpoints"))
        return real_step(step, batch)

    loop._loss, loop.train_step = nan_at_step_3, snapshot_before_step
    with pytest.raises(FloatingPointError, match=r"^step 3: loss is nan.*before the optimizer"):
        loop.fit()
    loop.tracker.finish()
    for n, p in param_snapshot(loop).items():
        assert torch.equal(p, seen["weights"][n]), n
    assert files(tmp_path / "checkpoints") == seen["checkpoints"]
    assert loop.checkpoints.latest().name == "step-00000002"
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1, 2]


def test_no_dropout_is_left_in_the_trained_policy_lora_included(tmp_path):
    """peft adds lora_dropout (p = 0.05) after the base model's dropout was switched off: the
    update's log-probs would then not be those of the policy that sampled."""
    loop = LaserLoop(compose_config(*TINY, "trainer.steps=1"), tmp_path)
    dropouts = [m for m in loop.policy.modules() if isinstance(m, torch.nn.Dropout)]
    assert dropouts and all(m.p == 0.0 for m in dropouts)
