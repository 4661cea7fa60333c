import pytest
import torch
import torch.nn.functional as F

from common.generation.prepacked import prepacked_linears, prepacking_works


class TwoLinears(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(40, 64)
        self.b = torch.nn.Linear(64, 24, bias=False)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_packed_layers_give_the_plain_result_and_are_restored(dtype):
    if not prepacking_works(dtype):
        pytest.skip(f"oneDNN packed linear unavailable for {dtype} on this build/CPU")
    torch.manual_seed(0)
    net = TwoLinears().to(dtype)
    x = torch.randn(4, 3, 40).to(dtype)
    with torch.no_grad():
        want = net(x)
        with prepacked_linears(net) as n:
            assert n == 2 and "forward" in net.a.__dict__
            got = net(x)
    assert "forward" not in net.a.__dict__ and "forward" not in net.b.__dict__
    if dtype == torch.bfloat16:
        assert torch.equal(got, want)  # same oneDNN bf16 kernel, same sums
    else:
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_packed_weights_are_taken_on_entry():
    """Weights change at every optimizer step: a new block packs the current ones."""
    if not prepacking_works(torch.float32):
        pytest.skip("oneDNN packed linear unavailable")
    net = TwoLinears()
    x = torch.randn(2, 40)
    with torch.no_grad():
        with prepacked_linears(net):
            before = net(x)
        net.b.weight.mul_(2.0)
        with prepacked_linears(net):
            after = net(x)
    torch.testing.assert_close(after, 2 * before, atol=1e-5, rtol=1e-5)


def test_autograd_and_ineligible_layers_keep_the_plain_op():
    net = TwoLinears()
    net.b.weight.ds_id = 3  # a ZeRO-3 partitioned parameter: never packed
    x = torch.randn(2, 40)
    with prepacked_linears(net) as n:
        assert "forward" not in net.b.__dict__
        out = net(x)  # grad enabled: the packed layer falls back to F.linear
        out.sum().backward()
    assert n == (1 if prepacking_works(torch.float32) else 0)
    assert net.a.weight.grad is not None
    torch.testing.assert_close(out, net.b(torch.relu(F.linear(x, net.a.weight, net.a.bias))))


def test_disabled_leaves_the_model_alone():
    net = TwoLinears()
    with prepacked_linears(net, enabled=False) as n:
        assert n == 0 and "forward" not in net.a.__dict__


def test_layers_are_restored_after_an_exception_in_the_block():
    net = TwoLinears()
    with pytest.raises(KeyError), torch.no_grad(), prepacked_linears(net):
        net(torch.randn(2, 40))
        raise KeyError("inside the block")
    assert "forward" not in net.a.__dict__ and "forward" not in net.b.__dict__


def test_nested_blocks_pack_once_and_the_outer_one_restores():
    if not prepacking_works(torch.float32):
        pytest.skip("oneDNN packed linear unavailable")
    net = TwoLinears()
    with prepacked_linears(net) as outer:
        packed_forward = net.a.__dict__["forward"]
        with prepacked_linears(net) as inner:
            assert net.a.__dict__["forward"] is packed_forward
        assert (outer, inner) == (2, 0)
        assert net.a.__dict__["forward"] is packed_forward  # the inner exit left it alone
    assert "forward" not in net.a.__dict__ and "forward" not in net.b.__dict__


def test_a_replaced_functional_linear_is_not_bypassed(monkeypatch):
    """DeepSpeed ZeRO-3 replaces F.linear process-wide: packing would skip its op."""
    calls = []

    def other_linear(x, w, b=None):
        calls.append(x.shape)
        return torch._C._nn.linear(x, w, b)

    monkeypatch.setattr(torch.nn.functional, "linear", other_linear)
    net = TwoLinears()
    with torch.no_grad(), prepacked_linears(net) as n:
        net(torch.randn(2, 40))
    assert n == 0 and len(calls) == 2


def _saved_by_autograd(fn):
    """``fn()``'s result and every tensor autograd saved for the backward while running it."""
    saved = []

    def pack(t):
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    return out, saved


def test_a_trainable_bias_of_a_frozen_weight_gets_its_gradient():
    """The packed op has no derivative: any trainable tensor of the call takes F.linear."""
    net = TwoLinears()
    net.requires_grad_(False)
    net.a.bias.requires_grad_(True)
    x = torch.randn(2, 40)
    net(x).sum().backward()
    want = net.a.bias.grad.clone()
    net.a.bias.grad = None
    with prepacked_linears(net):
        out, saved = _saved_by_autograd(lambda: net(x))
        out.sum().backward()
    assert not any(t.is_mkldnn for t in saved)
    torch.testing.assert_close(net.a.bias.grad, want)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_peft_lora_layers_are_packed_restored_and_train_on_plain_weights(dtype):
    """peft's LoRA wraps each target Linear (base layer, lora_A, lora_B, all nn.Linear):
    generation packs all of them; a training step inside the block gives the adapters the
    gradients of the plain model and autograd saves no packed weight."""
    if not prepacking_works(dtype):
        pytest.skip(f"oneDNN packed linear unavailable for {dtype}")
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    net = get_peft_model(TwoLinears(), LoraConfig(r=4, lora_alpha=8, target_modules=["a", "b"]))
    net = net.to(dtype)
    with torch.no_grad():  # lora_B starts at zero: make the adapters count
        for name, p in net.named_parameters():
            if "lora_B" in name:
                p.normal_()
    x = torch.randn(4, 3, 40).to(dtype)
    with torch.no_grad():
        want = net(x)
    net.train()
    net(x).float().square().sum().backward()
    want_grads = {n: p.grad.clone() for n, p in net.named_parameters() if p.requires_grad}
    net.zero_grad(set_to_none=True)

    with prepacked_linears(net) as n:
        linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
        assert n == len(linears) == 6  # a, b: base layer, lora_A, lora_B each
        with torch.no_grad():
            got = net(x)
        out, saved = _saved_by_autograd(lambda: net(x))
        out.float().square().sum().backward()
    assert not any(t.is_mkldnn for t in saved)
    assert not any("forward" in m.__dict__ for m in linears)
    if dtype == torch.bfloat16:
        assert torch.equal(got, want)
    else:
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    for name, grad in want_grads.items():
        # The frozen base layer of `a` (input without grad) may run packed: fp32 rounding.
        torch.testing.assert_close(dict(net.named_parameters())[name].grad, grad, msg=name)
