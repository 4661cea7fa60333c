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


def is_lora(model) -> bool:
    return hasattr(model, "disable_adapter") and hasattr(model, "peft_config")


class Reference:
    """The frozen reference policy.

    With LoRA the reference is the policy itself with its adapters switched off: no second
    copy of the base weights. Without LoRA it is a frozen deep copy of the initial policy.
    """

    def __init__(self, policy) -> None:
        self._lora = is_lora(policy)
        self._policy = policy
        self._model = None
        if not self._lora:
            self._model = copy.deepcopy(policy).eval()
            for p in self._model.parameters():
                p.requires_grad_(False)

    @contextlib.contextmanager
    def model(self, policy=None) -> Iterator[torch.nn.Module]:
        """Yields the reference model; ``policy`` is the (possibly engine-wrapped) module whose
        adapters are disabled in the LoRA case."""
        if self._lora:
            target = policy if policy is not None else self._policy
            with target.disable_adapter():
                yield target
        else:
            yield self._model

    def load_from(self, policy) -> None:
        """Make the current policy the new reference (iterative DPO's next round)."""
        if self._lora:
            raise NotImplementedError("with LoRA, merge adapters before moving the reference")
        self._model.load_state_dict(policy.state_dict())


def build_optimizer(model, tr: DictConfig) -> torch.optim.Optimizer:
    """AdamW over trainable parameters (``trainer.lr``, ``weight_decay``, ``betas``)."""
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(
        params,
        lr=float(tr.lr),
        weight_decay=float(tr.get("weight_decay", 0.0)),
        betas=tuple(tr.get("betas", (0.9, 0.95))),
    )


def warmup_cosine(step: int, warmup: int, total: int) -> float:
    """LR multiplier after ``step`` optimizer steps: linear warm-up that is already non-zero
    at the first step ((s+1)/(w+1)), then cosine decay to 0 at ``total``."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def build_scheduler(optimizer, tr: DictConfig):
    """Warm-up over ``trainer.warmup_steps`` then cosine decay to 0 at ``trainer.steps``."""
    warmup, total = int(tr.get("warmup_steps", 0)), int(tr.steps)
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
