import math

import pytest
import torch
from omegaconf import OmegaConf

from common.training.policy import (
    Reference,
    apply_lora,
    build_optimizer,
    build_scheduler,
    warmup_cosine,
)


def test_warmup_then_cosine_by_hand():
    # warmup 3: (0+1)/4, 2/4, 3/4 ; then cosine over 10-3 = 7 steps
    assert [warmup_cosine(s, 3, 10) for s in range(3)] == [0.25, 0.5, 0.75]
    assert warmup_cosine(3, 3, 10) == 1.0
    assert warmup_cosine(3 + 7 // 2, 3, 10) == pytest.approx(0.5 * (1 + math.cos(math.pi * 3 / 7)))
    assert warmup_cosine(10, 3, 10) == pytest.approx(0.0)


def test_scheduler_lr_is_nonzero_on_the_first_step():
    from common.training.config import TrainerConfig

    # the trainer schema's defaults (as a composed run has them) with this test's numbers
    tr = OmegaConf.merge(
        OmegaConf.structured(TrainerConfig),
        {"lr": 1e-3, "steps": 10, "warmup_steps": 1, "weight_decay": 0.1},
    )
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


def _zero3(model, precision: str = "fp32"):
    from common.training.engine import TrainEngine

    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    return TrainEngine(model, opt, None, OmegaConf.create({"stage": 3, "precision": precision}), 1)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("lora", [True, False])
def test_refreshed_reference_under_zero3_is_the_policy_of_that_moment(lora, precision):
    """ZeRO-3 leaves parameters empty outside a forward: the reference snapshot (LoRA) or
    copy (full) must gather them, and swapping the snapshot in must not lose the policy's own
    weights."""
    from common.models.assets import load_causal_lm
    from common.training.policy import disable_dropout

    model, tok = load_causal_lm("tiny-gpt2", seed=0)
    disable_dropout(model)
    if lora:
        lora_cfg = {"enabled": True, "r": 4, "alpha": 8, "target_modules": "all-linear"}
        model = apply_lora(model, OmegaConf.create(lora_cfg))
    # bf16: DeepSpeed casts the policy after the copy, so a full reference is cast with it
    ref = Reference(model, dtype=torch.bfloat16 if precision == "bf16" else None)
    engine = _zero3(model, precision)
    ids = tok(["some text here"], return_tensors="pt")["input_ids"]

    def train_step() -> None:
        out = engine(input_ids=ids, labels=ids)
        engine.backward(out.loss)
        engine.step()

    # the loop's order: an optimizer step, then the refresh, then the reference swap-in after
    # the next step (ZeRO-3 re-partitions after each step)
    train_step()
    ref.refresh(engine.module)
    with torch.no_grad():
        at_refresh = engine(input_ids=ids).logits.clone()
    train_step()
    with torch.no_grad():
        engine.module.eval()  # a rollout in between, as in the loop
        engine.module.generate(input_ids=ids, max_new_tokens=2, do_sample=False)
        engine.module.train()
        with ref.model(engine.module) as r:
            torch.testing.assert_close(r(input_ids=ids).logits, at_refresh)
        after = engine(input_ids=ids).logits
        assert not torch.allclose(after, at_refresh)  # the policy's own weights are back


def test_bf16_reference_matches_the_policy_as_deepspeed_casts_it():
    """DeepSpeed's bf16 mode casts parameters only (a rotary inv_freq stays fp32): the
    reference must be cast the same way, or step 1's KL is not 0."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from common.models.precision import cast_parameters

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=97,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
    )
    policy = LlamaForCausalLM(cfg).eval()
    ref = Reference(policy, dtype=torch.bfloat16)
    cast_parameters(policy, torch.bfloat16)
    buffers = {n: b.dtype for n, b in policy.named_buffers() if b.is_floating_point()}
    assert buffers and set(buffers.values()) == {torch.float32}
    ids = torch.arange(3, 300).remainder(97)[None]  # long enough for rotary rounding to show
    with torch.no_grad(), ref.model() as r:
        assert torch.equal(r(input_ids=ids).logits, policy(input_ids=ids).logits)
        rounded = LlamaForCausalLM(cfg).eval()
        rounded.load_state_dict(policy.state_dict())
        rounded.to(torch.bfloat16)  # buffers rounded too: what the reference must not do
        assert not torch.equal(rounded(input_ids=ids).logits, policy(input_ids=ids).logits)


def test_optimizer_is_torch_fused_adamw_on_cpu_and_steps_like_the_loop_version():
    """build_optimizer takes torch's fused AdamW on CPU; one step moves the weights as the
    for-loop AdamW does, up to float rounding."""
    import torch
    from omegaconf import OmegaConf

    from common.training.policy import build_optimizer

    tr = OmegaConf.create({"lr": 1e-2, "weight_decay": 0.1, "betas": [0.9, 0.95]})
    torch.manual_seed(0)
    a = torch.nn.Linear(8, 4)
    b = torch.nn.Linear(8, 4)
    b.load_state_dict(a.state_dict())
    start = a.weight.detach().clone()
    fused = build_optimizer(a, tr)
    plain = torch.optim.AdamW(b.parameters(), lr=1e-2, weight_decay=0.1, betas=(0.9, 0.95))
    assert fused.defaults["fused"] is True and not plain.defaults.get("fused")
    x = torch.randn(5, 8)
    for model, opt in ((a, fused), (b, plain)):
        for _ in range(3):
            model(x).pow(2).sum().backward()
            opt.step()
            opt.zero_grad()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
    assert (a.weight - start).abs().min() > 1e-3  # every weight moved
