"""A run that stopped before exporting final_model/ (preempted): its newest intact checkpoint
is the policy `load_policy(RUN)` and `experiments.evaluate --model RUN` use."""

from __future__ import annotations

import logging
import shutil

import pytest
import torch
from omegaconf import OmegaConf

from common.models.assets import load_causal_lm
from common.rundir.checkpoint import CheckpointManager
from common.training.checkpoint_policy import RunWithoutModelError, load_policy


def _checkpointed_run(run_dir, stage: int, lora: bool = False, steps: int = 1):
    """A run directory as a preempted run leaves it: .hydra/, metrics.jsonl and checkpoints
    written the way EngineLoop writes them (engine state under tag ``engine``, the resolved
    config in trainer_state.json), no final_model/. Returns the trained module."""
    from common.training.engine import TrainEngine
    from common.training.policy import apply_lora, disable_dropout

    lora_cfg = {"enabled": lora, "r": 4, "alpha": 8, "dropout": 0.0, "target_modules": "all-linear"}
    cfg = {"seed": 0, "model": {"name_or_path": "tiny-gpt2", "lora": lora_cfg}}
    model, tok = load_causal_lm("tiny-gpt2", seed=0)
    model = apply_lora(model, OmegaConf.create(lora_cfg))
    disable_dropout(model)
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    engine_cfg = OmegaConf.create({"stage": stage, "precision": "fp32", "grad_clip": 1.0})
    engine = TrainEngine(model, opt, None, engine_cfg, 2)
    ids = tok(["hello world foo", "bar baz qux"], return_tensors="pt", padding=True)["input_ids"]
    manager = CheckpointManager(run_dir / "checkpoints")
    (run_dir / ".hydra").mkdir(parents=True)
    for step in range(1, steps + 1):
        engine.backward(engine(input_ids=ids, labels=ids).loss)
        engine.step()
        state = {"step": step, "config": cfg | {"trainer": {"steps": 10}}}
        manager.save(step, lambda f: engine.save(f, tag="engine", client_state={}), state)
    (run_dir / "metrics.jsonl").write_text('{"step": 1}\n')
    return engine


def _full_weights(engine) -> dict[str, torch.Tensor]:
    from common.training.policy import gathered

    module = engine.module
    with gathered(list(module.parameters())):
        if hasattr(module, "merge_and_unload"):
            import copy

            module = copy.deepcopy(module).merge_and_unload()
        return {k: v.detach().clone().float() for k, v in module.state_dict().items()}


@pytest.mark.parametrize(
    ("stage", "lora"),
    [(0, False), (0, True), pytest.param(3, False, marks=pytest.mark.slow)],  # ZeRO-3: ~8 s
)
def test_a_preempted_run_loads_its_newest_checkpoint_and_says_so(tmp_path, caplog, stage, lora):
    """`--model RUN_DIR` on a run without final_model/ used to fail in tokenizer loading
    ("Couldn't instantiate the backend tokenizer"): the weights are the checkpoint's, the
    tokenizer the config's base model's, and a warning names the run and the step."""
    engine = _checkpointed_run(tmp_path / "run", stage, lora, steps=2)
    want = _full_weights(engine)
    with caplog.at_level(logging.WARNING, logger="common.training.checkpoint_policy"):
        model, tok = load_policy(str(tmp_path / "run"))
    got = {k: v.float() for k, v in model.state_dict().items()}
    assert got.keys() == want.keys()
    for k in want:
        torch.testing.assert_close(got[k], want[k], msg=k)
    assert tok("hello")["input_ids"]
    (message,) = [r.getMessage() for r in caplog.records if "final_model" in r.getMessage()]
    assert "has no final_model/" in message and "step-00000002 (step 2 of 10)" in message


def test_a_corrupt_newest_checkpoint_falls_back_to_the_older_one(tmp_path, caplog):
    _checkpointed_run(tmp_path / "run", 0, steps=2)
    newest = tmp_path / "run" / "checkpoints" / "step-00000002"
    (states,) = newest.rglob("mp_rank_00_model_states.pt")
    data = bytearray(states.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte: same size, another digest
    states.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        load_policy(str(tmp_path / "run"))
    assert any("step-00000001 (step 1 of 10)" in r.getMessage() for r in caplog.records)


def test_the_model_folder_loader_names_a_run_without_final_model(tmp_path):
    from common.models.assets import load_trained_policy

    _checkpointed_run(tmp_path / "run", 0)
    with pytest.raises(FileNotFoundError, match="run directory without final_model/.*load_policy"):
        load_trained_policy(str(tmp_path / "run"))


def test_a_run_with_nothing_to_evaluate_names_the_cause(tmp_path):
    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    (run / "metrics.jsonl").write_text('{"step": 1}\n')
    with pytest.raises(RunWithoutModelError, match=r"has no final_model/.*no checkpoint under"):
        load_policy(str(run))
    _checkpointed_run(tmp_path / "bad", 0)
    for f in (tmp_path / "bad" / "checkpoints").rglob("*.pt"):
        f.write_bytes(b"cut")
    with pytest.raises(RunWithoutModelError, match=r"no intact checkpoint.*step-00000001"):
        load_policy(str(tmp_path / "bad"))


def test_an_unsigned_checkpoint_is_not_unpickled(tmp_path, monkeypatch):
    """Evaluation loads DeepSpeed's pickled shards, so it needs the signature a resume needs
    (common.checkpoint_signing): a checkpoint signed with another key is named, not loaded."""
    _checkpointed_run(tmp_path / "run", 0)
    monkeypatch.setenv("MULTIREWARD_KEY_DIR", str(tmp_path / "another-key"))
    with pytest.raises(RunWithoutModelError, match="newest intact checkpoint is not loaded"):
        load_policy(str(tmp_path / "run"))


def test_evaluate_cli_scores_a_preempted_run(tmp_path, capsys):
    from common.data import load_dataset
    from common.data.shopbench import write_shopbench
    from experiments.evaluate import main

    _checkpointed_run(tmp_path / "run", 0)
    rows = [ex for ex in load_dataset("shopbench", None) if ex.metric == "mc_accuracy"][:2]
    write_shopbench(tmp_path / "data.jsonl", rows)
    args = ["--data", str(tmp_path / "data.jsonl"), "--model", str(tmp_path / "run")]
    assert main([*args, "--resamples", "0"]) == 0
    assert "overall" in capsys.readouterr().out
    shutil.rmtree(tmp_path / "run" / "checkpoints")
    assert main(args) == 2
    assert "no checkpoint under" in capsys.readouterr().err
