"""LoRA folded into base weights for generation (common/generation/lora_merge.py): same
outputs as peft's adapter path, and the model exactly as it was afterwards."""

from __future__ import annotations

import copy

import pytest
import torch

from common.generation.lora_merge import lora_merged, merged_weight


def _lora_model(tiny_lm, **extra):
    from peft import LoraConfig, get_peft_model

    model, _ = tiny_lm
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules=["c_attn", "c_proj", "c_fc"], **extra)
    peft_model = get_peft_model(copy.deepcopy(model), cfg)
    torch.manual_seed(1)
    with torch.no_grad():  # LoRA starts as a no-op (B = 0): give B values so it matters
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.5)
    return peft_model.eval()


def _ids():
    return torch.randint(0, 1000, (3, 7), generator=torch.Generator().manual_seed(0))


def _lora_layers(model):
    from peft.tuners.lora import LoraLayer

    return [m for m in model.modules() if isinstance(m, LoraLayer)]


def test_merged_forward_equals_the_adapter_path(tiny_lm):
    model = _lora_model(tiny_lm)
    ids = _ids()
    with torch.no_grad():
        want = model(input_ids=ids).logits
        with model.disable_adapter():
            base_only = model(input_ids=ids).logits
        with lora_merged(model) as n:
            got = model(input_ids=ids).logits
    assert n == len(_lora_layers(model)) == 2 * 4  # 2 blocks x (c_attn, attn and mlp c_proj, c_fc)
    assert (want - base_only).abs().max() > 1e-2  # the adapters do change the output
    torch.testing.assert_close(got, want, atol=2e-5, rtol=1e-5)


def test_weights_and_adapters_restored_exactly(tiny_lm):
    model = _lora_model(tiny_lm)
    before = {n: (p, p.data_ptr(), p.detach().clone()) for n, p in model.named_parameters()}
    ids = _ids()
    with torch.no_grad():
        want = model(input_ids=ids).logits
        with lora_merged(model):
            pass
        after = model(input_ids=ids).logits
    for name, p in model.named_parameters():
        param, ptr, value = before[name]
        assert p is param and p.data_ptr() == ptr
        assert torch.equal(p, value)
    assert torch.equal(after, want)  # adapters are on again
    assert all(not layer.disable_adapters for layer in _lora_layers(model))


def test_exception_inside_restores(tiny_lm):
    model = _lora_model(tiny_lm)
    weight = _lora_layers(model)[0].get_base_layer().weight
    value = weight.detach().clone()
    with pytest.raises(RuntimeError, match="boom"), torch.no_grad():
        with lora_merged(model):
            assert not torch.equal(weight, value)  # merged inside
            raise RuntimeError("boom")
    assert torch.equal(weight, value)
    assert all(not layer.disable_adapters for layer in _lora_layers(model))


def test_greedy_generation_tokens_unchanged(tiny_lm):
    model = _lora_model(tiny_lm)
    _, tok = tiny_lm
    enc = tok(["the cat sat on", "a b"], return_tensors="pt", padding=True)
    kw = dict(max_new_tokens=8, do_sample=False, pad_token_id=tok.pad_token_id)
    with torch.no_grad():
        want = model.generate(**enc, **kw)
        with lora_merged(model):
            got = model.generate(**enc, **kw)
    assert torch.equal(got, want)


def test_bf16_merged_weight_is_the_fp32_sum_rounded_once(tiny_lm):
    model = _lora_model(tiny_lm)
    for layer in _lora_layers(model):
        base = layer.get_base_layer()
        base.weight.data = base.weight.data.to(torch.bfloat16)
        if base.bias is not None:
            base.bias.data = base.bias.data.to(torch.bfloat16)
    layer = _lora_layers(model)[0]
    got = merged_weight(layer)
    want = (layer.get_base_layer().weight.float() + layer.get_delta_weight("default").float()).to(
        torch.bfloat16
    )
    assert got.dtype == torch.bfloat16 and torch.equal(got, want)


def test_not_applied_with_modules_to_save(tiny_lm):
    model = _lora_model(tiny_lm, modules_to_save=["ln_f"])
    ids = _ids()
    with torch.no_grad():
        want = model(input_ids=ids).logits
        with lora_merged(model) as n:
            got = model(input_ids=ids).logits
    assert n == 0
    assert torch.equal(got, want)


def test_nothing_merged_where_autograd_records(tiny_lm):
    """Under grad mode the adapters keep their gradient path: no merge."""
    model = _lora_model(tiny_lm)
    with torch.enable_grad(), lora_merged(model) as n:
        loss = model(input_ids=_ids()).logits.sum()
    loss.backward()
    assert n == 0
    assert all(p.grad is not None for name, p in model.named_parameters() if "lora_A" in name)


def test_no_adapters_or_disabled_is_a_no_op(tiny_lm):
    model, _ = tiny_lm
    with lora_merged(model) as n:
        assert n == 0
    peft_model = _lora_model(tiny_lm)
    with lora_merged(peft_model, enabled=False) as n:
        assert n == 0
        assert all(not layer.disable_adapters for layer in _lora_layers(peft_model))


def test_rollout_generate_merges_lora_and_matches_peft(tiny_lm, monkeypatch):
    """``common.generation.rollout.generate`` (the project's decode loop) decodes through the merged
    weights (counted), with the tokens peft's adapter path gives in ``model.generate``."""
    import common.generation.decode as decode
    import common.generation.rollout as rollout

    model = _lora_model(tiny_lm)
    _, tok = tiny_lm
    prompts = ["the cat sat on", "a b"]
    merged_layers: list[int] = []
    real = decode.lora_merged

    def counting(m, enabled=True):
        ctx = real(m, enabled)

        class Wrapped:
            def __enter__(self):
                n = ctx.__enter__()
                merged_layers.append(n)
                return n

            def __exit__(self, *exc):
                return ctx.__exit__(*exc)

        return Wrapped()

    monkeypatch.setattr(decode, "lora_merged", counting)
    got = rollout.generate(model, tok, prompts, max_new_tokens=6, do_sample=False)
    assert merged_layers == [8]
    enc = tok(prompts, return_tensors="pt", padding=True)
    with torch.no_grad():
        want = model.generate(
            **enc, max_new_tokens=6, do_sample=False, pad_token_id=tok.pad_token_id
        )[:, enc["input_ids"].shape[1] :]
    mask = got.response_mask.bool()
    assert torch.equal(got.response_ids[mask], want[:, : got.response_ids.shape[1]][mask])
