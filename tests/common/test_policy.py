import math

import pytest
import torch
from omegaconf import OmegaConf

from common.policy import Reference, apply_lora, build_optimizer, build_scheduler, warmup_cosine


def test_warmup_then_cosine_by_hand():
    # warmup 3: (0+1)/4, 2/4, 3/4 ; then cosine over 10-3 = 7 steps
    assert [warmup_cosine(s, 3, 10) for s in range(3)] == [0.25, 0.5, 0.75]
    assert warmup_cosine(3, 3, 10) == 1.0
    assert warmup_cosine(3 + 7 // 2, 3, 10) == pytest.approx(0.5 * (1 + math.cos(math.pi * 3 / 7)))
    assert warmup_cosine(10, 3, 10) == pytest.approx(0.0)


def test_scheduler_lr_is_nonzero_on_the_first_step():
    tr = OmegaConf.create({"lr": 1e-3, "steps": 10, "warmup_steps": 1, "weight_decay": 0.1})
    opt = build_optimizer(torch.nn.Linear(1, 1), tr)
    assert opt.defaults["weight_decay"] == 0.1 and len(opt.param_groups[0]["params"]) == 2
    sched = build_scheduler(opt, tr)
    assert sched.get_last_lr()[0] == pytest.approx(5e-4)  # 1e-3 * (0+1)/(1+1)


def test_lora_reference_is_the_policy_with_adapters_off(tiny_lm):
    import copy

    model, tok = tiny_lm
    policy = apply_lora(
        copy.deepcopy(model),
        OmegaConf.create(
            {"enabled": True, "r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["c_attn"]}
        ),
    )
    trainable = [n for n, p in policy.named_parameters() if p.requires_grad]
    assert trainable and all("lora" in n for n in trainable)
    with torch.no_grad():  # make the adapter non-trivial
        for n, p in policy.named_parameters():
            if "lora_B" in n:
                p.fill_(0.5)
    ids = tok(["some text"], return_tensors="pt")["input_ids"]
    ref = Reference(policy)
    with torch.no_grad(), ref.model() as r:
        ref_logits = r(ids).logits
    base_logits = model(ids).logits
    torch.testing.assert_close(ref_logits, base_logits)
    assert not torch.allclose(policy(ids).logits, base_logits)


def test_full_reference_is_frozen_copy(tiny_lm):
    model, _ = tiny_lm
    ref = Reference(model)
    with ref.model() as r:
        assert r is not model
        assert not any(p.requires_grad for p in r.parameters())
