"""Resume and stop guards on the real ReMax loop (tiny GPT-2): corrupt checkpoints fall back by
digest and by load failure, Ctrl-C stops with a checkpoint and 130, cut prompts are counted."""

from __future__ import annotations

import json
import os
import signal

import pytest

from common.rundir.checkpoint import MANIFEST, file_digest
from common.rundir.checkpoint_signing import sign
from common.rundir.tracking import read_metrics
from drbo.trainer import PolicyGradientLoop
from experiments.compose import compose_config

TINY = (
    "+exp=debug",
    "rewards.names=[multilingual_sim,sent_sim]",
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.export_final=false",
    "trainer.standardize_k=8",
    "balancer.every=1",
)


def _model_states(folder):
    (path,) = folder.rglob("mp_rank_00_model_states.pt")
    return path


def test_a_flipped_bit_and_an_unpicklable_file_each_fall_back_to_an_older_checkpoint(
    tmp_path, caplog
):
    overrides = (*TINY, "trainer.steps=3", "trainer.save_every=1", "trainer.keep_checkpoints=3")
    PolicyGradientLoop(compose_config(*overrides), tmp_path).fit()
    ck = tmp_path / "checkpoints"
    # step 3: one flipped bit, same size -> caught by its digest before anything loads
    newest = _model_states(ck / "step-00000003")
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0x10
    newest.write_bytes(bytes(data))
    # step 2: a pickle that no longer unpickles but matches its (re-recorded, signed) digest,
    # as a file damaged before it was hashed would -> caught when it loads
    middle = _model_states(ck / "step-00000002")
    middle.write_bytes(b"not a pickle at all")  # torch.load: UnpicklingError
    manifest = json.loads((ck / "step-00000002" / MANIFEST).read_text())
    name = str(middle.relative_to(ck / "step-00000002"))
    manifest["files"][name] = middle.stat().st_size
    manifest["digests"][name] = file_digest(middle)
    (ck / "step-00000002" / MANIFEST).write_text(json.dumps(sign(manifest)))

    with caplog.at_level("WARNING"):
        resumed = PolicyGradientLoop(compose_config(*overrides, "resume=true"), tmp_path)
        resumed.fit()
    assert (
        "step-00000003 is not intact" in caplog.text and "does not match its digest" in caplog.text
    )
    assert "step-00000002 cannot be loaded (UnpicklingError" in caplog.text
    assert "falling back to checkpoint" in caplog.text and "step-00000001" in caplog.text
    assert resumed.start_step == 2
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1, 2, 3]


def test_ctrl_c_mid_step_writes_one_stop_checkpoint_and_exits_130(tmp_path, ctrl_c_delivered):
    from common.rundir.preemption import Preempted

    loop = PolicyGradientLoop(
        compose_config(*TINY, "trainer.steps=4", "trainer.save_every=0"), tmp_path
    )
    original = loop.train_step

    def ctrl_c_during_step_2(step, batch):
        if step == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return original(step, batch)

    loop.train_step = ctrl_c_during_step_2
    with pytest.raises(Preempted) as exc:
        loop.fit()
    assert exc.value.code == 130
    assert [p.name for p in loop.checkpoints.complete()] == ["step-00000002"]
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1, 2]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_cut_prompts_are_counted_per_step_and_max_eval_zero_evaluates_nothing(tmp_path):
    cfg = compose_config(
        *TINY,
        "trainer.steps=1",
        "dataset.max_prompt_tokens=8",
        "dataset.max_eval=0",
        "trainer.eval_before=true",
        "trainer.eval_after=true",
    )
    loop = PolicyGradientLoop(cfg, tmp_path)
    assert loop.eval_examples == [] and loop.max_prompt_tokens == 8
    result = loop.fit()
    assert result["eval"] == {"before": {}, "after": {}}
    (row,) = read_metrics(tmp_path / "metrics.jsonl")
    # every bundled shopping training prompt is at least 10 tokens long (shortest: 10); each step generates for each
    # of its batch_size prompts at least once
    assert row["prompt_truncated"] >= cfg.trainer.batch_size
