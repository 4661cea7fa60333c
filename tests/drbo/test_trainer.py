"""The DRBO ReMax loop on a tiny GPT-2: it learns, logs the contract, and resumes exactly."""

import json

import numpy as np
import pytest
import torch

from common.mixers.base import build_mixer
from common.mixers.step import TIME_KEYS
from common.rundir.tracking import read_metrics
from common.training.step_guard import NonFiniteLossError
from drbo.trainer import PolicyGradientLoop
from experiments.compose import compose_config

# Continuous rewards, so a random tiny model gets non-zero advantages to learn from.
TINY = (
    "+exp=debug",
    "rewards.names=[multilingual_sim,sent_sim]",
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.standardize_k=8",
    "balancer.every=1",
)


def test_parameters_change_loss_finite_and_contract_logged(tmp_path, param_snapshot):
    loop = PolicyGradientLoop(compose_config(*TINY, "trainer.steps=2"), tmp_path)
    before = param_snapshot(loop)
    loop.fit()
    after = param_snapshot(loop)
    assert any(not torch.equal(before[n], after[n]) for n in before)
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    for r in rows:
        assert torch.isfinite(torch.tensor(r["loss"]))
        for key in ("kl", "tokens_per_s", "weight/sent_sim", "weight/multilingual_sim", "arm"):
            assert key in r, key
        assert set(TIME_KEYS) <= set(r)  # the timing keys every trainer logs
        metric = r["arm"]
        assert f"reward/{metric}" in r and f"scaled/{metric}" in r
        assert sum(r[f"weight/{m}"] for m in ("sent_sim", "multilingual_sim")) == pytest.approx(1)


def test_killed_run_resumes_to_the_same_trajectory(
    tmp_path, param_snapshot, kill_at_step, without_timings
):
    overrides = (*TINY, "trainer.steps=4", "trainer.save_every=2")
    full_dir, cut_dir = tmp_path / "full", tmp_path / "cut"
    full = PolicyGradientLoop(compose_config(*overrides), full_dir)
    full.fit()
    full_weights = param_snapshot(full)

    cut = PolicyGradientLoop(compose_config(*overrides), cut_dir)
    Killed = kill_at_step(cut, 3)
    with pytest.raises(Killed):
        cut.fit()
    cut.tracker.finish()

    resumed = PolicyGradientLoop(compose_config(*overrides, "resume=true"), cut_dir)
    assert resumed.start_step == 1  # resume happens inside fit
    resumed.fit()
    assert resumed.start_step == 3
    for n, p in param_snapshot(resumed).items():
        torch.testing.assert_close(p, full_weights[n], rtol=0, atol=0)
    a = read_metrics(full_dir / "metrics.jsonl")
    b = read_metrics(cut_dir / "metrics.jsonl")
    assert [r["step"] for r in b] == [1, 2, 3, 4]

    assert without_timings(a) == without_timings(b)
    state = json.loads(
        (cut_dir / "checkpoints" / "step-00000004" / "trainer_state.json").read_text()
    )
    assert state["mixer"]["observed"] and state["standardizer"]


def test_lora_run_trains_only_adapters_and_exports_them(tmp_path, param_snapshot):
    from common.models.assets import load_trained_policy

    loop = PolicyGradientLoop(
        compose_config(*TINY, "trainer.steps=2", "model.lora.enabled=true", "model.lora.r=4"),
        tmp_path,
    )
    before = param_snapshot(loop)
    loop.fit()
    after = param_snapshot(loop)
    changed = {n for n in before if not torch.equal(before[n], after[n])}
    assert changed and all("lora_" in n for n in changed)
    assert (tmp_path / "final_model" / "adapter_config.json").exists()
    model, _ = load_trained_policy(str(tmp_path))  # base + merged adapter
    assert not any("lora_" in n for n, _ in model.named_parameters())


def test_sigterm_mid_training_checkpoints_that_step_and_a_requeued_run_finishes_the_same(
    tmp_path, monkeypatch, param_snapshot
):
    """SIGTERM during step 3 (no periodic checkpoint due): the step finishes, a checkpoint of
    step 3 is written, the process exits with 143; the requeued job (SLURM_RESTART_COUNT=1,
    resume not asked for) continues to the uninterrupted trajectory."""
    import os
    import signal

    from common.rundir.preemption import Preempted

    overrides = (*TINY, "trainer.steps=4", "trainer.save_every=0")
    full = PolicyGradientLoop(compose_config(*overrides), tmp_path / "full")
    full.fit()

    cut = PolicyGradientLoop(compose_config(*overrides), tmp_path / "cut")
    original = cut.train_step

    def signalled_during_step_3(step, batch):
        if step == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return original(step, batch)

    cut.train_step = signalled_during_step_3
    with pytest.raises(Preempted) as exc:
        cut.fit()
    assert exc.value.code == 143
    assert [p.name for p in cut.checkpoints.complete()] == ["step-00000003"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # our handler is gone

    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    resumed = PolicyGradientLoop(compose_config(*overrides), tmp_path / "cut")
    resumed.fit()
    assert resumed.start_step == 4
    for n, p in param_snapshot(resumed).items():
        torch.testing.assert_close(p, param_snapshot(full)[n], rtol=0, atol=0)
    steps = [r["step"] for r in read_metrics(tmp_path / "cut" / "metrics.jsonl")]
    assert steps == [1, 2, 3, 4]


def test_nan_loss_stops_the_step_before_the_update_and_keeps_the_checkpoint(
    tmp_path, monkeypatch, param_snapshot
):
    """The loss of step 3 turns NaN: FloatingPointError naming the step, raised before the
    optimizer step (weights unchanged), checkpoints of steps 1-2 untouched, 3 never logged."""
    import hashlib

    def files(folder):
        return {
            str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    loop = PolicyGradientLoop(
        compose_config(*TINY, "trainer.steps=4", "trainer.save_every=1"), tmp_path
    )
    real_loss, calls = loop.policy_loss, []

    def nan_at_step_3(*args, **kwargs):  # one loss per step; the K statistics need none
        calls.append(1)
        loss, parts = real_loss(*args, **kwargs)
        return (loss * float("nan") if len(calls) == 3 else loss), parts

    loop.policy_loss = nan_at_step_3
    original, seen = loop.train_step, {}

    def snapshot_before_step_3(step, batch):
        if step == 3:
            seen.update(weights=param_snapshot(loop), checkpoints=files(tmp_path / "checkpoints"))
        return original(step, batch)

    loop.train_step = snapshot_before_step_3
    with pytest.raises(NonFiniteLossError, match=r"^step 3: loss is nan .*before the optimizer"):
        loop.fit()
    loop.tracker.finish()
    for n, p in param_snapshot(loop).items():
        assert torch.equal(p, seen["weights"][n]), n
    assert files(tmp_path / "checkpoints") == seen["checkpoints"]
    assert loop.checkpoints.latest().name == "step-00000002"
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1, 2]


def test_weights_choose_the_rows_of_multi_type_data_for_every_mixer(tmp_path):
    """Issue 20, defect 1: on multi-type data (rewards.routing=by_example) the weights of a
    mixer that samples no metric (static, simple_inverse, inverse/delta with
    sample_metric=false) were ignored: the batch came from all rows and each row's one
    weight cancelled in mix_rewards. Now each row's task is drawn from the weights."""
    loop = PolicyGradientLoop(compose_config("+exp=debug", "trainer.eval_before=false"), tmp_path)
    names = loop.reward_set.names
    assert loop.multi_type and len(names) == 8
    ner_heavy = {m: (0.7 if m == "ner_f1" else 0.3 / 7) for m in names}
    mixers = {
        "static": build_mixer("static", names, weights=ner_heavy),
        "simple_inverse": build_mixer("simple_inverse", names),
        "inverse": build_mixer("inverse", names, sample_metric=False),
        "delta": build_mixer("delta", names, sample_metric=False),
    }
    for name, mixer in mixers.items():
        if name != "static":  # as if a recompute had produced these weights
            mixer.weights = np.array([ner_heavy[m] for m in names])
        loop.rewards.mixer = loop.mixer = mixer
        rows = [ex for t in range(1, 61) for ex in loop.next_batch(t)]
        share = sum(ex.metric == "ner_f1" for ex in rows) / len(rows)
        # 120 rows, expected 0.7 (uniform data would give 1/8); binomial std 0.042
        assert share > 0.5, (name, share)
        assert all(ex.metric in names for ex in rows)
    # rows drawn by a resumed run are the same rows
    again = [ex.prompt for ex in loop.next_batch(7)]
    assert again == [ex.prompt for ex in loop.next_batch(7)]


@pytest.mark.slow
def test_per_query_bandit_in_a_drbo_run(tmp_path):
    """``balancer.granularity=query`` in ReMax: each prompt gets its own metric from its own
    context, and each arm learns from its own row's loss (one LinUCB update per prompt)."""
    loop = PolicyGradientLoop(
        compose_config(
            *[o for o in TINY if not o.startswith("balancer.")],
            "trainer.steps=2",
            "balancer=linucb",
            "balancer.granularity=query",
        ),
        tmp_path,
    )
    loop.fit()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    for r in rows:
        arms = r["arms"].split(",")
        assert len(arms) == loop.cfg.trainer.batch_size
        assert set(arms) <= {"multilingual_sim", "sent_sim"} and "arm" not in r
    # 2 steps x 2 prompts: four rank-1 updates spread over the arms' A matrices
    a = np.linalg.inv(loop.mixer.A_inv)
    updates = sum(np.trace(a[k]) - a.shape[1] for k in range(a.shape[0]))  # trace(c c^T) = 1
    assert updates == pytest.approx(4)
