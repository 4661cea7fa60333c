"""Policy set-up shared by the trainers: LoRA, the frozen reference, optimizer and schedule."""

from __future__ import annotations

import contextlib
import copy
import functools
import math
from collections.abc import Iterator

import torch
from omegaconf import DictConfig


def apply_lora(model, lora_cfg: DictConfig):
    """Wrap ``model`` with LoRA adapters (peft) when ``model.lora.enabled``; else return it."""
    if not lora_cfg.get("enabled", False):
        return model
    from peft import LoraConfig, get_peft_model

    target = lora_cfg.get("target_modules", "all-linear")
    config = LoraConfig(
        r=int(lora_cfg.r),
        lora_alpha=int(lora_cfg.alpha),
        lora_dropout=float(lora_cfg.get("dropout", 0.0)),
        target_modules=target if isinstance(target, str) else list(target),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def gathered(params: list[torch.nn.Parameter], modify: bool = False):
    """Context in which ZeRO-3-partitioned ``params`` hold their full values.

    ZeRO-3 leaves each rank an empty ``p.data`` (its shard is in ``p.ds_tensor``) outside a
    module's forward, so reading or writing parameters directly needs them gathered; with
    ``modify`` the edits rank 0 makes are re-partitioned on exit (every rank makes the same
    edits here). A no-op for parameters ZeRO-3 does not manage.
    """
    if not any(hasattr(p, "ds_id") for p in params):
        return contextlib.nullcontext()
    import deepspeed

    return deepspeed.zero.GatheredParameters(params, modifier_rank=0 if modify else None)


def is_lora(model) -> bool:
    return hasattr(model, "disable_adapter") and hasattr(model, "peft_config")


class Reference:
    """The frozen reference policy.

    With LoRA the reference lives in the policy itself: at first its adapters are switched off
    (the base model, which is the initial policy since LoRA starts as a no-op); after
    :meth:`refresh` the adapter weights of that moment are swapped in for the reference
    forward. No second copy of the base weights either way. Without LoRA it is a frozen deep
    copy of the initial policy, overwritten by :meth:`refresh`, held in ``dtype`` (the run's
    compute dtype: DeepSpeed's bf16 mode casts the policy after this copy is taken).
    """

    def __init__(self, policy, dtype: torch.dtype | None = None) -> None:
        self._lora = is_lora(policy)
        self._policy = policy
        self._model = None
        self._snapshot: dict[str, torch.Tensor] | None = None
        if not self._lora:
            self._model = copy.deepcopy(policy).eval()
            if dtype is not None:
                from common.models.precision import cast_parameters

                cast_parameters(self._model, dtype)  # as DeepSpeed casts the policy
            for p in self._model.parameters():
                p.requires_grad_(False)

    @contextlib.contextmanager
    def model(self, policy=None) -> Iterator[torch.nn.Module]:
        """Yields the reference model; ``policy`` is the (possibly engine-wrapped) module that
        holds the adapters in the LoRA case."""
        if not self._lora:
            yield self._model
            return
        target = policy if policy is not None else self._policy
        if self._snapshot is None:
            with target.disable_adapter():
                yield target
            return
        params = dict(target.named_parameters())
        swapped = [params[n] for n in self._snapshot]
        with torch.no_grad(), gathered(swapped, modify=True):
            current = {n: params[n].detach().clone() for n in self._snapshot}
            for n, t in self._snapshot.items():
                params[n].copy_(t)
        try:
            yield target
        finally:
            with torch.no_grad(), gathered(swapped, modify=True):
                for n, t in current.items():
                    params[n].copy_(t)

    def refresh(self, policy) -> None:
        """Make the current policy the reference (iterative DPO's next iteration)."""
        if self._lora:
            trainable = {n: p for n, p in policy.named_parameters() if p.requires_grad}
            with gathered(list(trainable.values())):
                self._snapshot = {n: p.detach().clone() for n, p in trainable.items()}
        else:
            with gathered(list(policy.parameters())):
                self._model.load_state_dict(policy.state_dict())

    def state_dict(self) -> dict[str, torch.Tensor] | None:
        """What a checkpoint must keep to restore the reference (LoRA: the snapshot)."""
        return self._snapshot if self._lora else self._model.state_dict()

    def load_state_dict(self, state) -> None:
        if self._lora:
            self._snapshot = state
        else:
            self._model.load_state_dict(state)


# Devices with torch's fused AdamW kernel (one pass over each tensor's weight, gradient and
# both moments, instead of ~8 elementwise ops per parameter tensor).
_FUSED_ADAMW_DEVICES = ("cpu", "cuda")


def build_optimizer(model, tr: DictConfig) -> torch.optim.Optimizer:
    """AdamW over trainable parameters (``trainer.lr``, ``weight_decay``, ``betas``).

    torch's fused implementation where every parameter sits on a device it supports: on the
    2-core CPU the engine's step of SmolLM2-135M took 0.12 s instead of 0.25 s in fp32 and
    0.21 s instead of 0.33 s in bf16 (DeepSpeed's fp32 master copy), the same update up to
    float rounding. DeepSpeed's ZeRO stages hand it their flat fp32 partitions, on the same
    device.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    fused = bool(params) and all(
        p.device.type in _FUSED_ADAMW_DEVICES and p.is_floating_point() for p in params
    )
    return torch.optim.AdamW(
        params,
        lr=float(tr.lr),
        weight_decay=float(tr.weight_decay),
        betas=tuple(tr.betas),
        fused=fused or None,
    )


def warmup_cosine(step: int, warmup: int, total: int) -> float:
    """LR multiplier after ``step`` optimizer steps: linear warm-up that is already non-zero
    at the first step ((s+1)/(w+1)), then cosine decay to 0 at ``total``."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def build_scheduler(optimizer, tr: DictConfig):
    """Warm-up over ``trainer.warmup_steps`` then cosine decay to 0 at ``trainer.steps``.

    Trainers that take ``trainer.updates_per_rollout`` optimizer steps per training step
    (GRPO, RLOO) scale both by it, so the schedule still spans the run."""
    per_step = int(tr.updates_per_rollout)
    warmup, total = int(tr.warmup_steps) * per_step, int(tr.steps) * per_step
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, functools.partial(warmup_cosine, warmup=warmup, total=total)
    )


def disable_dropout(model) -> None:
    """Set every dropout probability to 0: the log-probs of the update must be those of the
    policy that sampled (ReMax and DPO both assume it)."""
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    for key in ("dropout", "attention_dropout", "resid_pdrop", "embd_pdrop", "attn_pdrop"):
        if hasattr(model.config, key):
            setattr(model.config, key, 0.0)
