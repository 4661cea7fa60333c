"""A training loop whose policy is trained on the DeepSpeed engine: the set-up, final export
and checkpoint hooks that every method with a policy update shares (DRBO's ReMax, LASeR's
DPO)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.mixers.step import build_reward_step
from common.models.assets import write_base_record
from common.models.precision import torch_dtype
from common.rundir.distributed import barrier, is_main, rank
from common.rundir.safe_state import load_rng_state, refuse_legacy, save_rng_state
from common.training.engine import TrainEngine
from common.training.loop import TrainingLoop
from common.training.policy import (
    Reference,
    apply_lora,
    build_optimizer,
    build_scheduler,
    disable_dropout,
)


class EngineLoop(TrainingLoop):
    """Trains ``self.policy`` (LoRA applied where configured) on ``self.engine`` (the
    DeepSpeed wrapper, :class:`common.training.engine.TrainEngine`), against its frozen
    ``self.reference``, with the reward step ``self.rewards`` (:mod:`common.mixers.step`;
    its mixer is ``self.mixer``). ``self.policy`` is the one name of the trained module:
    generation, evaluation and the bandit context read it, so they see the current weights.
    Subclasses implement ``train_step``."""

    def __init__(self, cfg, run_dir) -> None:
        super().__init__(cfg, run_dir)
        tr = cfg.trainer
        self.rewards = build_reward_step(cfg, self.reward_set, lambda: self.policy, self.tokenizer)
        self.mixer, self.mab = self.rewards.mixer, self.rewards.mab
        if cfg.model.get("gradient_checkpointing"):
            self.policy.gradient_checkpointing_enable()
        self.policy = apply_lora(self.policy, cfg.model.lora)
        # After LoRA: peft adds its own lora_dropout modules (p = 0.05 by default).
        disable_dropout(self.policy)
        # Before DeepSpeed wraps the policy: a full reference is a clean deep copy.
        self.reference = Reference(
            self.policy, dtype=torch_dtype(cfg.engine.get("precision", "auto"))
        )
        optimizer = build_optimizer(self.policy, tr)
        # Every optimizer step (DeepSpeed calls this torch optimizer's step at any ZeRO
        # stage) tells the rollout engine its copy of the weights is old.
        optimizer.register_step_post_hook(lambda *_: self.policy_updated())
        scheduler = build_scheduler(optimizer, tr)
        self.engine = TrainEngine(self.policy, optimizer, scheduler, cfg.engine, tr.batch_size)
        self.policy = self.engine.module  # the same module, as DeepSpeed holds it

    def export_model(self, folder: Path) -> None:
        state = None
        if self.engine.ds_config["zero_optimization"]["stage"] == 3:
            state = self.engine.consolidated_state_dict()  # a collective (rank 0 gets it)
        if is_main():
            self.policy.save_pretrained(folder, state_dict=state)
            self.tokenizer.save_pretrained(folder)
            write_base_record(folder, self.cfg)
        barrier()

    def write_model_state(self, folder: Path) -> None:
        self.engine.save(folder, tag="engine", client_state={})
        # safetensors + JSON, not a pickle: loading it can run no code (common.rundir.safe_state)
        save_rng_state(folder / f"rng_rank{rank()}.safetensors")

    def load_model_state(self, folder: Path) -> None:
        """The caller checked ``folder``'s signature first (DeepSpeed's shards unpickle)."""
        r = rank()
        refuse_legacy(folder, f"rng_rank{r}.pt", f"rng_rank{r}.safetensors")
        self.engine.load(folder, tag="engine")
        load_rng_state(folder / f"rng_rank{r}.safetensors")

    def extra_state(self) -> dict[str, Any]:
        return self.rewards.state_dict()

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.rewards.load_state_dict(state)
