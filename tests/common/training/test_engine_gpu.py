"""GPU path of the engine: bf16 ZeRO-2 on CUDA agrees with fp32 within bf16 tolerance.

Marked ``gpu``: deselected by default and skipped without CUDA (run on a GPU machine with
``make test-full``)."""

import pytest
import torch
from omegaconf import OmegaConf

pytestmark = pytest.mark.gpu


def test_bf16_zero2_step_on_cuda():
    from common.models.assets import load_causal_lm
    from common.training.engine import TrainEngine
    from common.training.policy import disable_dropout

    model, tok = load_causal_lm("tiny-gpt2", seed=0)
    disable_dropout(model)
    model.cuda().train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    cfg = OmegaConf.create({"stage": 2, "precision": "auto", "grad_clip": 1.0})
    engine = TrainEngine(model, opt, None, cfg, micro_batch_size=2)
    assert engine.precision == "bf16"
    ids = tok(["hello world", "bar baz"], return_tensors="pt", padding=True)["input_ids"].cuda()
    first = engine(input_ids=ids, labels=ids).loss
    engine.backward(first)
    engine.step()
    second = engine(input_ids=ids, labels=ids).loss
    assert torch.isfinite(second) and second < first
