"""LoRA adapters folded into their base weights while a policy generates.

Why: peft runs a LoRA-wrapped linear layer as ``base(x) + B(A(dropout(x))) * s`` — four or
five extra small operations per layer, and with bf16 base weights two dtype casts more (peft
keeps adapters in fp32, ``autocast_adapter_dtype``). In a decode step at batch 4 those
operations, not the arithmetic, are the cost: with ``all-linear`` targets on a 30-layer model
that is ~1,000 extra kernel calls a token. Generation needs no gradient, so each targeted
layer can instead run one linear on the merged weight

    W' = W + s * B @ A          (W: (out, in), A: (r, in), B: (out, r), s = alpha / r)

computed once per generation call (in fp32, then cast to W's dtype) and the adapters switched
off for the duration. Unlike peft's ``merge_adapter`` / ``unmerge_adapter`` (which add and
subtract ``s * B @ A`` in place, so bf16 base weights drift by a rounding error each round
trip), the original weight tensors are put back by reference on exit: bit-identical.

Cost: a second copy of the targeted base weights, in their dtype, during generation (for a
policy in bf16 with ``all-linear`` targets, about 2 bytes per base parameter). Not applied
(the model generates through peft as before) when any LoRA layer is not a plain linear LoRA
(DoRA or another variant, an embedding or convolution adapter), when peft's
``modules_to_save`` or an already-merged adapter is present, or when weights are partitioned
by ZeRO-3 (their data exists only inside each module's forward).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

from common.models.unwrap import module_of


def _peft_model(model: Any):
    """The peft ``PeftModel`` inside ``model``, or None when it has no adapters."""
    root = module_of(model)
    if hasattr(root, "disable_adapter") and hasattr(root, "peft_config"):
        return root
    return None


def _mergeable_layers(peft_model) -> list[Any] | None:
    """Every LoRA layer of ``peft_model`` when all of them can be merged as a plain linear
    LoRA; None when one cannot (then nothing is merged: adapters are switched off for the
    whole model at once, so it is all or nothing)."""
    from peft.tuners.lora import Linear as LoraLinear
    from peft.tuners.lora import LoraLayer

    if any(getattr(cfg, "modules_to_save", None) for cfg in peft_model.peft_config.values()):
        return None
    layers = []
    for module in peft_model.modules():
        if not isinstance(module, LoraLayer):
            continue
        base = module.get_base_layer()
        active = [a for a in module.active_adapters if a in module.lora_A]
        if (
            type(module) is not LoraLinear  # peft's linear LoRA (nn.Linear or GPT-2's Conv1D)
            or base.weight.dim() != 2
            or module.merged
            or module.disable_adapters
            or any(module.lora_variant.get(a) is not None for a in active)
            or base.weight.numel() == 0  # ZeRO-3 placeholder outside the forward
            or hasattr(base.weight, "ds_id")
            or any(hasattr(p, "ds_id") for a in active for p in module.lora_A[a].parameters())
        ):
            return None
        layers.append(module)
    return layers


def merged_weight(layer) -> torch.Tensor:
    """(out, in) ``W + sum over active adapters of s * B @ A`` in W's dtype (summed in fp32)."""
    base = layer.get_base_layer().weight
    total = base.detach().float()
    for adapter in layer.active_adapters:
        if adapter in layer.lora_A:
            total = total + layer.get_delta_weight(adapter).detach().float()
    return total.to(base.dtype)


@contextlib.contextmanager
def lora_merged(model: Any, enabled: bool = True) -> Iterator[int]:
    """Generate through merged LoRA weights inside the block; outside, the model is unchanged.

    Only for inference: no gradient could reach the adapters through a merged weight, so
    where autograd records (``torch.is_grad_enabled()``) nothing is merged.

    Yields:
        The number of layers merged (0 when the model has no adapters, ``enabled`` is False,
        gradients are enabled or a layer cannot be merged — the model then runs through
        peft as it is).
    """
    peft_model = _peft_model(model) if enabled and not torch.is_grad_enabled() else None
    layers = _mergeable_layers(peft_model) if peft_model is not None else None
    if not layers:
        yield 0
        return
    originals: list[tuple[torch.nn.Parameter, torch.Tensor]] = []
    try:
        with torch.no_grad():
            for layer in layers:
                weight = layer.get_base_layer().weight
                merged = merged_weight(layer)
                originals.append((weight, weight.data))
                weight.data = merged
        with peft_model.disable_adapter():
            yield len(layers)
    finally:
        for weight, data in originals:
            weight.data = data
