"""A run's lifecycle outside its training steps (tiny GPT-2 ReMax loop): a run directory
deleted mid-run stops the run by name; a stop signal during the model load, "eval before" or
"eval after" exits 128 + signum like one between steps, and a stop in the final evaluation
resumes into that evaluation instead of retraining."""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from common.rundir.preemption import Preempted
from common.rundir.run_lock import RunDirLost
from common.rundir.tracking import read_metrics
from drbo.trainer import PolicyGradientLoop
from experiments.compose import compose_config

TINY = (
    "+exp=debug",
    "rewards.names=[multilingual_sim,sent_sim]",
    "trainer.export_final=false",
    "trainer.standardize_k=8",
    "balancer.every=1",
)
NO_EVAL = ("trainer.eval_before=false", "trainer.eval_after=false")


@pytest.fixture
def sigterm_seen():
    """SIGTERM recorded instead of killing the test process (what the run's handler hands
    the signal to after its checkpoint); the list of signals seen."""
    seen: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    yield seen
    signal.signal(signal.SIGTERM, previous)


def test_a_run_directory_deleted_mid_run_stops_the_run_naming_it(tmp_path):
    run_dir = tmp_path / "run"
    cfg = compose_config(*TINY, *NO_EVAL, "trainer.steps=4", "trainer.save_every=1")
    loop = PolicyGradientLoop(cfg, run_dir)
    original = loop.train_step

    def rm_rf_during_step_3(step, batch):
        if step == 3:
            shutil.rmtree(run_dir)
        return original(step, batch)

    loop.train_step = rm_rf_during_step_3
    with pytest.raises(RunDirLost, match=rf"run directory {run_dir} was deleted .*after step 3"):
        loop.fit()
    assert not run_dir.exists()  # not half recreated (checkpoints/ alone) by a later save


def test_sigterm_during_eval_before_stops_between_eval_batches_and_exits_143(
    tmp_path, monkeypatch, sigterm_seen
):
    import common.generation.engines  # the loop engine's generate is what evaluation calls

    cfg = compose_config(*TINY, "trainer.steps=2", "trainer.eval_batch_size=2")
    loop = PolicyGradientLoop(cfg, tmp_path)
    calls = []
    original = common.generation.engines.generate

    def sigterm_in_first_eval_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return original(*args, **kwargs)

    monkeypatch.setattr(common.generation.engines, "generate", sigterm_in_first_eval_batch)
    loop.train_step = lambda step, batch: pytest.fail("trained after a stop in eval before")
    with pytest.raises(Preempted) as exc:
        loop.fit()
    assert exc.value.code == 143 and sigterm_seen == [signal.SIGTERM]
    assert len(calls) == 1  # the 7 other eval rows were not generated
    assert loop.checkpoints.complete() == []  # nothing trained, nothing to resume
    assert signal.getsignal(signal.SIGTERM) is not loop.stop_request._handle


def test_sigterm_during_eval_after_checkpoints_the_last_step_and_resume_goes_to_eval_after(
    tmp_path, monkeypatch, sigterm_seen
):
    import common.training.loop

    overrides = (*TINY, "trainer.steps=2", "trainer.save_every=0")
    loop = PolicyGradientLoop(compose_config(*overrides), tmp_path)
    original = common.training.loop.generate_predictions

    def sigterm_in_eval_after(*args, desc, **kwargs):
        if desc == "eval after":
            os.kill(os.getpid(), signal.SIGTERM)
        return original(*args, desc=desc, **kwargs)

    monkeypatch.setattr(common.training.loop, "generate_predictions", sigterm_in_eval_after)
    with pytest.raises(Preempted) as exc:
        loop.fit()
    assert exc.value.code == 143 and sigterm_seen == [signal.SIGTERM]
    assert [p.name for p in loop.checkpoints.complete()] == ["step-00000002"]
    before = loop.eval_before
    assert before

    monkeypatch.setattr(common.training.loop, "generate_predictions", original)
    resumed = PolicyGradientLoop(compose_config(*overrides, "resume=true"), tmp_path)
    resumed.train_step = lambda step, batch: pytest.fail(f"retrained step {step}")
    result = resumed.fit()
    assert result["steps"] == 2
    assert result["eval"]["before"] == before and set(result["eval"]["after"]) == set(before)
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1, 2]


def test_a_stop_signal_during_the_model_load_exits_143_before_any_eval(
    tmp_path, monkeypatch, sigterm_seen
):
    import experiments.trainers
    from experiments.run import run

    def loads_while_signalled(name):
        def build(cfg, run_dir):
            os.kill(os.getpid(), signal.SIGTERM)  # as if it came while the weights loaded
            return PolicyGradientLoop(cfg, run_dir)

        return build

    monkeypatch.setattr(experiments.trainers.TRAINERS, "get", loads_while_signalled)
    monkeypatch.setattr(PolicyGradientLoop, "evaluate", lambda self, desc: pytest.fail(desc))
    with pytest.raises(Preempted) as exc:
        run(compose_config(*TINY, "trainer.steps=1"), tmp_path)
    assert exc.value.code == 143 and sigterm_seen == [signal.SIGTERM]
    assert not (tmp_path / "summary.json").exists()
    assert not (tmp_path / ".run.lock").exists()  # released on the way out


def test_a_stop_after_the_final_evaluation_lets_the_run_finish_and_clears_the_stop_file(
    tmp_path, monkeypatch
):
    import common.training.loop

    loop = PolicyGradientLoop(compose_config(*TINY, *NO_EVAL, "trainer.steps=1"), tmp_path)
    monkeypatch.setattr(
        common.training.loop, "plot_run", lambda run_dir: (run_dir / "STOP").touch()
    )
    assert loop.fit()["steps"] == 1  # no Preempted: nothing was left to stop
    assert not (tmp_path / "STOP").exists()  # a later resume=true would stop at once
