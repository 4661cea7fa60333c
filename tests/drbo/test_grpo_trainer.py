"""GRPO and RLOO on a tiny GPT-2: they learn, log the contract, let every mixer decide the
per-sample reward before the group advantage, and the issue's compositions run."""

import numpy as np
import pytest
import torch

from common.mixers.step import TIME_KEYS
from common.rundir.tracking import read_metrics
from common.training.advantages import group_advantages, leave_one_out_advantages
from drbo.trainer import PolicyGradientLoop
from experiments.compose import compose_config
from experiments.validate import validate_config

# Continuous rewards, so a random tiny model gets non-zero advantages to learn from.
TINY = (
    "+exp=debug",
    "rewards.names=[multilingual_sim,sent_sim]",
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.standardize_k=8",
    "trainer.export_final=false",
    "trainer.n_samples=3",
)


def _spy(loop):
    """Record each step's StepRewards and the (G, n) rewards the advantages were built from."""
    seen = {"scored": [], "adv_in": []}
    score, advantages = loop.rewards.score, loop.advantages

    def score_spy(*a, **k):
        r = score(*a, **k)
        seen["scored"].append(r)
        return r

    def adv_spy(rewards, *greedy):
        seen["adv_in"].append(rewards.clone())
        return advantages(rewards, *greedy)

    loop.rewards.score, loop.advantages = score_spy, adv_spy
    return seen


def test_grpo_learns_and_logs_the_contract(tmp_path, param_snapshot):
    cfg = compose_config(
        *TINY, "trainer=grpo", "balancer=inverse", "balancer.every=1", "trainer.steps=2"
    )
    validate_config(cfg)
    loop = PolicyGradientLoop(cfg, tmp_path)
    before = param_snapshot(loop)
    seen = _spy(loop)
    loop.fit()
    assert any(not torch.equal(before[n], p) for n, p in param_snapshot(loop).items())
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    for r in rows:
        for key in ("loss", "kl", "clip_fraction", "advantage_abs", "weight/sent_sim"):
            assert np.isfinite(r[key]), key
        assert set(TIME_KEYS) <= set(r)
        assert r["weight/sent_sim"] + r["weight/multilingual_sim"] == pytest.approx(1)
    # B = G * n rows, and the advantages came from the mixed rewards, grouped per prompt
    for scored, adv_in in zip(seen["scored"], seen["adv_in"], strict=True):
        assert scored.mixed.shape == (2 * 3,)
        np.testing.assert_allclose(adv_in.numpy(), scored.mixed.reshape(2, 3), rtol=1e-6)


def test_the_mixers_arm_decides_the_reward_before_the_advantage(tmp_path):
    # single metric sent_sim: the group advantage sees only sent_sim's standardized reward
    cfg = compose_config(
        *TINY, "trainer=grpo", "balancer=single", "balancer.metric=sent_sim", "trainer.steps=1"
    )
    loop = PolicyGradientLoop(cfg, tmp_path)
    seen = _spy(loop)
    loop.fit()
    scored, adv_in = seen["scored"][0], seen["adv_in"][0]
    j = scored.table.names.index("sent_sim")
    np.testing.assert_allclose(adv_in.numpy().reshape(-1), scored.scaled[:, j], rtol=1e-6)
    assert not scored.table.mask[:, 1 - j].any()  # the other source was not even scored


def test_rloo_reuses_the_rollout_with_the_clip(tmp_path):
    cfg = compose_config(
        *TINY,
        "trainer=rloo",
        "balancer=delta",
        "balancer.every=1",
        "trainer.steps=1",
        "trainer.updates_per_rollout=2",
    )
    validate_config(cfg)
    loop = PolicyGradientLoop(cfg, tmp_path)
    rollouts = []
    original = loop.rollout_batch
    loop.rollout_batch = lambda *a, **k: rollouts.append(k.get("n", 1)) or original(*a, **k)
    steps = []
    step = loop.engine.step
    loop.engine.step = lambda: steps.append(1) or step()
    seen = _spy(loop)
    loop.fit()
    # one rollout of n = 3 per prompt (after the standardizer's single samples), two updates
    assert rollouts.count(3) == 1 and len(steps) == 2
    torch.testing.assert_close(
        loop.advantages(seen["adv_in"][0]), leave_one_out_advantages(seen["adv_in"][0])
    )
    assert not torch.allclose(
        leave_one_out_advantages(seen["adv_in"][0]), group_advantages(seen["adv_in"][0])
    )
    row = read_metrics(tmp_path / "metrics.jsonl")[0]
    assert 0.0 <= row["clip_fraction"] <= 1.0


# The "done when" compositions, two steps each on the tiny model.
DONE_WHEN = [
    ("+exp=debug", "trainer=grpo", "balancer=average", "balancer.normalize=gdpo"),
    ("+exp=debug", "trainer=rloo", "balancer=delta"),
    ("+exp=debug", "trainer=grpo", "balancer=mo_grpo"),
    ("+exp=debug", "trainer=grpo", "balancer=correlation"),
    ("+exp=laser_debug", "balancer=thompson"),
]


@pytest.mark.parametrize("overrides", DONE_WHEN, ids=lambda o: " ".join(o[1:]))
def test_done_when_compositions_run(tmp_path, overrides):
    from experiments.trainers import TRAINERS

    cfg = compose_config(
        *overrides,
        "trainer.steps=2",
        "trainer.eval_before=false",
        "trainer.eval_after=false",
        "trainer.export_final=false",
    )
    validate_config(cfg)
    loop = TRAINERS.get(cfg.trainer.name)(cfg, tmp_path)
    loop.fit()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    assert all(np.isfinite(r["loss"]) for r in rows)
    names = list(cfg.rewards.names)
    for r in rows:
        assert sum(r[f"weight/{m}"] for m in names) == pytest.approx(1)
