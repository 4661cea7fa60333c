"""A training loop whose policy is trained on the DeepSpeed engine: the set-up, final export
and checkpoint hooks that every method with a policy update shares (DRBO's ReMax, LASeR's
DPO)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from common.distributed import all_gather_object, barrier, is_main, rank
from common.engine import TrainEngine
from common.mab_reward import MABRewardScaler
from common.plugins import build_run_mixer
from common.policy import (
    Reference,
    apply_lora,
    build_optimizer,
    build_scheduler,
    disable_dropout,
)
from common.training_loop import TrainingLoop, write_base_record


class EngineLoop(TrainingLoop):
    """Sets up ``self.policy`` (LoRA applied where configured), its frozen ``self.reference``,
    ``self.engine`` and ``self.mixer``; ``self.model`` then points at the trained module so generation and
    evaluation see the current weights. Subclasses implement ``train_step``."""

    def __init__(self, cfg, run_dir) -> None:
        super().__init__(cfg, run_dir)
        tr = cfg.trainer
        self.mixer = build_run_mixer(cfg, self.reward_set.names)
        # The bandit reward (LASeR): the step's negative loss scaled by its history quantiles.
        self.mab = MABRewardScaler(**dict(tr.get("mab_reward") or {}))
        if cfg.model.get("gradient_checkpointing"):
            self.model.gradient_checkpointing_enable()
        self.policy = apply_lora(self.model, cfg.model.lora)
        # After LoRA: peft adds its own lora_dropout modules (p = 0.05 by default).
        disable_dropout(self.policy)
        # Before DeepSpeed wraps the policy: a full reference is a clean deep copy.
        self.reference = Reference(self.policy)
        optimizer = build_optimizer(self.policy, tr)
        scheduler = build_scheduler(optimizer, tr)
        self.engine = TrainEngine(self.policy, optimizer, scheduler, cfg.engine, tr.batch_size)
        self.model = self.engine.module

    def export_model(self, folder: Path) -> None:
        state = None
        if self.engine.ds_config["zero_optimization"]["stage"] == 3:
            # Collective: gathers the partitioned weights (returned on rank 0).
            state = self.engine.engine._zero3_consolidated_16bit_state_dict()
        if is_main():
            self.engine.module.save_pretrained(folder, state_dict=state)
            self.tokenizer.save_pretrained(folder)
            write_base_record(folder, self.cfg)
        barrier()

    def write_model_state(self, folder: Path) -> None:
        self.engine.save(folder, tag="engine", client_state={})
        rng = {
            "torch": torch.get_rng_state(),
            "numpy": np.random.get_state(),
            "python": random.getstate(),
        }
        torch.save(rng, folder / f"rng_rank{rank()}.pt")

    def load_model_state(self, folder: Path) -> None:
        self.engine.load(folder, tag="engine")
        rng = torch.load(folder / f"rng_rank{rank()}.pt", weights_only=False)
        torch.set_rng_state(rng["torch"])
        np.random.set_state(rng["numpy"])
        random.setstate(rng["python"])

    def mab_feedback(self, loss: float | None) -> float | None:
        """The MAB reward of a step from every rank's loss (identical on all ranks, so their
        bandits stay in step); None when no rank trained or the mixer does not use it."""
        if not self.mixer.learns_from_scalar:
            return None
        losses = [x for x in all_gather_object(loss) if x is not None]
        return self.mab(float(np.mean(losses))) if losses else None

    def extra_state(self) -> dict[str, Any]:
        return {"mixer": self.mixer.state_dict(), "mab": self.mab.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.mixer.load_state_dict(state["mixer"])
        self.mab.load_state_dict(state["mab"])
