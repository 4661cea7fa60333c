import pytest
import torch
import torch.nn.functional as F

from common.prepacked import prepacked_linears, prepacking_works


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
