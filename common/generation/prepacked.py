"""oneDNN-prepacked weights for the ``nn.Linear`` layers of a model while it generates on CPU.

Why: a decode step of a small model at batch 4 is a chain of matrix-vector products, one per
weight matrix, and is bound by reading the weights from memory. ``F.linear`` on CPU hands
oneDNN (bf16) or MKL (fp32) a plain row-major weight that the library re-lays-out or reads
with a poor access pattern at every call; oneDNN's own blocked layout, made once, is read at
close to the memory bandwidth. Measured on a 2-core AVX512-BF16 EPYC, one thread, the 120
weight matrices of SmolLM2-135M's layers at batch 4: bf16 25-31 ms plain -> 10-18 ms
prepacked (bit-identical outputs), fp32 55-78 ms -> 14-19 ms (same sums in another order,
~3e-6 apart); the 49k-vocabulary LM head in bf16 3.4-4.4 ms -> 1.8 ms. Inductor does the
same re-layout when it freezes a model (``torch._inductor.config.freezing``), but a policy's
weights change at every optimizer step, so here they are packed on entry of each generation
call (about 0.1 s for 270 MB of bf16 weights) and dropped on exit.

``prepacked_linears(model)`` is a context manager: inside it every eligible ``nn.Linear``
of ``model`` (also the base and adapter layers inside peft's LoRA modules) computes
``x @ W.T + b`` with its packed weight; outside it nothing is changed. Not eligible, left as
they are: CUDA or other devices, dtypes other than fp32/bf16, weights sharded by ZeRO-3
(their data is gathered only inside the forward), modules whose ``forward`` something else
already replaced, every layer while ``torch.nn.functional.linear`` is not torch's own
(DeepSpeed ZeRO-3 replaces it with its memory-efficient linear for the rest of the process;
packing would bypass that), and any call while autograd records (packing is for inference:
a call that could need gradients takes ``F.linear`` on the plain weight, so autograd never
sees a packed one). The packed copies are taken on entry: weights changed inside the block
(an optimizer step, merging LoRA adapters) are not seen until the next block.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F

from common.models.unwrap import module_of

_PACKABLE_DTYPES = (torch.float32, torch.bfloat16)
# torch's own linear (what ``F.linear`` is until someone replaces it); the reference of the
# build check, and the test of whether ``F.linear`` was replaced.
_TORCH_LINEAR = torch._C._nn.linear


@functools.cache
def prepacking_works(dtype: torch.dtype) -> bool:
    """Whether this torch build runs oneDNN's packed linear for ``dtype`` on this CPU and
    gives ``F.linear``'s result (checked once on a small random layer)."""
    mkldnn = getattr(torch.ops, "mkldnn", None)
    if not torch.backends.mkldnn.is_available() or mkldnn is None:
        return False
    try:
        gen = torch.Generator().manual_seed(0)
        w = torch.randn(48, 40, generator=gen).to(dtype)
        b = torch.randn(48, generator=gen).to(dtype)
        x = torch.randn(3, 2, 40, generator=gen).to(dtype)
        packed = torch.ops.mkldnn._reorder_linear_weight(w, 4)
        got = torch.ops.mkldnn._linear_pointwise(x, packed, b, "none", [], "")
    except (RuntimeError, AttributeError, NotImplementedError):
        return False
    want = _TORCH_LINEAR(x, w, b)
    tol = 1e-2 if dtype == torch.bfloat16 else 1e-4
    return got.shape == want.shape and torch.allclose(got.float(), want.float(), atol=tol, rtol=tol)


def _eligible(module: torch.nn.Module) -> bool:
    w = module.weight
    return (
        type(module).forward is torch.nn.Linear.forward  # a plain Linear (no quantized subclass)
        and "forward" not in module.__dict__  # nobody else replaced its forward
        and w.device.type == "cpu"
        and w.dtype in _PACKABLE_DTYPES
        and w.dim() == 2
        and w.numel() > 0  # ZeRO-3 leaves an empty placeholder outside the forward
        and not hasattr(w, "ds_id")  # a ZeRO-3 partitioned parameter
        and (module.bias is None or module.bias.dtype == w.dtype)
        and F.linear is _TORCH_LINEAR
        and prepacking_works(w.dtype)
    )


def _packed_forward(module: torch.nn.Linear, packed: torch.Tensor):
    weight, bias = module.weight, module.bias

    def forward(x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and (
            x.requires_grad or weight.requires_grad or (bias is not None and bias.requires_grad)
        ):
            # Autograd records: the packed op has no derivative, the plain one does.
            return F.linear(x, weight, bias)
        if x.dtype != weight.dtype:
            return F.linear(x, weight, bias)
        return torch.ops.mkldnn._linear_pointwise(x, packed, bias, "none", [], "")

    return forward


@contextlib.contextmanager
def prepacked_linears(model: Any, batch_hint: int = 4, enabled: bool = True) -> Iterator[int]:
    """Run ``model``'s eligible ``nn.Linear`` layers on oneDNN-packed weights inside the block.

    Args:
        batch_hint: rows per call the layout is tuned for (decode batch); any row count works.
        enabled: False leaves the model as it is (one code path for callers).

    Yields:
        The number of layers packed (0 when none is eligible).
    """
    patched: list[tuple[torch.nn.Module, Any]] = []
    try:
        if enabled:
            with torch.no_grad():
                for module in module_of(model).modules():
                    if isinstance(module, torch.nn.Linear) and _eligible(module):
                        packed = torch.ops.mkldnn._reorder_linear_weight(
                            module.weight.detach(), batch_hint
                        )
                        module.forward = _packed_forward(module, packed)
                        patched.append((module, module.forward))
        yield len(patched)
    finally:
        # Also on an exception inside the block or while packing. A nested block on the same
        # model finds these layers replaced and packs none of them, so only the outermost
        # block restores them; a forward someone else set meanwhile is left to its owner.
        for module, forward in patched:
            if module.__dict__.get("forward") is forward:
                del module.forward
