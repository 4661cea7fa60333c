"""DeepSpeed ZeRO training engine: a pure config builder and a thin wrapper.

The same wrapper runs one CPU process (gloo, DeepSpeed's CPU accelerator) and many GPU
processes (NCCL) under ``torchrun`` / ``deepspeed`` / ``srun``; only the ``engine`` config
group differs. The optimizer and scheduler are plain torch objects handed to DeepSpeed: a
DeepSpeed "optimizer" block would JIT-build fused kernels (~50 s on CPU, more with offload).
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger(__name__)


def build_ds_config(
    stage: int = 0,
    micro_batch_size: int = 1,
    grad_accum: int = 1,
    world_size: int = 1,
    precision: str = "fp32",
    grad_clip: float | None = 1.0,
    offload_optimizer: bool = False,
    offload_param: bool = False,
    hidden_size: int | None = None,
    zero_overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The DeepSpeed config dict for one run (pure: no side effects, easy to test).

    Args:
        stage: ZeRO stage 0-3.
        precision: ``fp32``, ``bf16`` or ``fp16`` (resolve ``auto`` with :func:`resolve_precision`).
        offload_param: parameter offload to CPU, ZeRO-3 only.
        hidden_size: the model's hidden size h; sizes ZeRO's buckets to the model (below).
        zero_overrides: DeepSpeed ``zero_optimization`` keys set last (``engine.zero``), for
            the knobs this builder does not choose (e.g. ``stage3_max_live_parameters``).
    """
    if stage not in (0, 1, 2, 3):
        raise ValueError(f"engine.stage={stage}; allowed values: 0, 1, 2, 3")
    if precision not in ("fp32", "bf16", "fp16"):
        raise ValueError(f"engine.precision={precision!r}; allowed values: auto, fp32, bf16, fp16")
    if offload_param and stage != 3:
        raise ValueError("engine.offload_param needs engine.stage=3")
    if offload_optimizer and stage == 0:
        raise ValueError("engine.offload_optimizer needs engine.stage >= 1")
    zero: dict[str, Any] = {"stage": stage}
    if stage >= 1:
        zero.update(overlap_comm=False, contiguous_gradients=True)
    if offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": torch.cuda.is_available()}
    if offload_param:
        zero["offload_param"] = {"device": "cpu", "pin_memory": torch.cuda.is_available()}
    if stage >= 2 and hidden_size:
        # DeepSpeed's defaults (5e8-element reduce and all-gather buckets) are sized for
        # billion-parameter models and cost GBs of buffers on a small one; these are the
        # sizes transformers' "auto" picks: h^2 per bucket, 0.9 h^2 prefetch, and parameters
        # under 10 h elements (biases, norms, small adapters) left unpartitioned.
        zero.update(reduce_bucket_size=hidden_size**2, allgather_bucket_size=hidden_size**2)
    if stage == 3:
        # Gather the full weights into the saved model so checkpoints load without DeepSpeed.
        zero["stage3_gather_16bit_weights_on_model_save"] = True
        if hidden_size:
            zero.update(
                stage3_prefetch_bucket_size=int(0.9 * hidden_size**2),
                stage3_param_persistence_threshold=10 * hidden_size,
            )
    overrides = dict(zero_overrides or {})
    if "stage" in overrides:
        raise ValueError("engine.zero.stage: set engine.stage (or engine=zeroN) instead")
    zero.update(overrides)
    cfg: dict[str, Any] = {
        "train_micro_batch_size_per_gpu": micro_batch_size,
        "gradient_accumulation_steps": grad_accum,
        "train_batch_size": micro_batch_size * grad_accum * world_size,
        "zero_optimization": zero,
        "steps_per_print": 10**9,  # we log ourselves
        "wall_clock_breakdown": False,
    }
    if offload_optimizer:
        # A torch optimizer on offloaded ZeRO state is what we pass in; allow it explicitly.
        cfg["zero_force_ds_cpu_optimizer"] = False
    if grad_clip:
        cfg["gradient_clipping"] = float(grad_clip)
    if precision == "bf16":
        cfg["bf16"] = {"enabled": True}
    elif precision == "fp16":
        cfg["fp16"] = {"enabled": True, "initial_scale_power": 16}
    return cfg


def _plain(node) -> dict[str, Any] | None:
    """An OmegaConf mapping (or None) as a plain dict for DeepSpeed's JSON config."""
    if node is None:
        return None
    from omegaconf import OmegaConf

    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else dict(node)


def resolve_precision(precision: str) -> str:
    """``auto`` -> bf16 on a CUDA device or CPU that runs it fast, else fp32
    (common.models.precision)."""
    from common.models.precision import resolve_precision as resolve

    return resolve(precision)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_distributed(backend: str = "auto") -> None:
    """Initialize torch.distributed through DeepSpeed once per process.

    A single process started without a launcher gets the rendezvous variables DeepSpeed
    expects (without them it looks for mpi4py). On CPU the accelerator is forced to DeepSpeed's
    CPU one and the shm communication op's JIT build (~30 s) is skipped: gloo is enough.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return
    for k, v in (
        ("RANK", "0"),
        ("WORLD_SIZE", "1"),
        ("LOCAL_RANK", "0"),
        ("MASTER_ADDR", "127.0.0.1"),
    ):
        os.environ.setdefault(k, v)
    os.environ.setdefault("MASTER_PORT", str(_free_port()))
    cuda = torch.cuda.is_available()
    if not cuda:
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
    import deepspeed

    if not cuda:
        # `import deepspeed.comm.torch as m` would bind the torch module re-exported there,
        # not this file: import the module object by its dotted name.
        importlib.import_module("deepspeed.comm.torch").build_shm_op = lambda: None
    if backend == "auto":
        backend = "nccl" if cuda else "gloo"
    deepspeed.init_distributed(dist_backend=backend)


class TrainEngine:
    """A policy wrapped by DeepSpeed: forward, backward, step, checkpoints.

    Args:
        model: the trainable module (LoRA already applied where configured).
        optimizer: a torch optimizer over ``model``'s trainable parameters.
        scheduler: a torch LR scheduler on ``optimizer`` (or None).
        engine_cfg: the ``engine`` config group (stage, offload, precision, grad_clip, ...).
        micro_batch_size: rows per forward on one process (DeepSpeed's bookkeeping).
    """

    def __init__(self, model, optimizer, scheduler, engine_cfg, micro_batch_size: int = 1):
        import deepspeed

        init_distributed(engine_cfg.get("backend", "auto"))
        self.precision = resolve_precision(engine_cfg.get("precision", "auto"))
        self.ds_config = build_ds_config(
            stage=int(engine_cfg.stage),
            micro_batch_size=micro_batch_size,
            grad_accum=int(engine_cfg.get("grad_accum", 1)),
            world_size=torch.distributed.get_world_size(),
            precision=self.precision,
            grad_clip=engine_cfg.get("grad_clip"),
            offload_optimizer=bool(engine_cfg.get("offload_optimizer", False)),
            offload_param=bool(engine_cfg.get("offload_param", False)),
            hidden_size=getattr(getattr(model, "config", None), "hidden_size", None),
            zero_overrides=_plain(engine_cfg.get("zero")),
        )
        # DeepSpeed's own engine; trainers use this wrapper (and the loop's ``policy``)
        self.ds_engine, self.optimizer, _, self.scheduler = deepspeed.initialize(
            model=model, optimizer=optimizer, lr_scheduler=scheduler, config=self.ds_config
        )

    @property
    def module(self):
        """The wrapped model (the loop's ``policy``: for generation and saving)."""
        return self.ds_engine.module

    def train(self) -> None:
        """Training mode for the update (generation and evaluation switch to eval)."""
        self.ds_engine.train()

    def consolidated_state_dict(self) -> dict[str, torch.Tensor] | None:
        """ZeRO-3's partitioned weights gathered into one state dict (returned on rank 0).
        A collective: every rank calls it."""
        return self.ds_engine._zero3_consolidated_16bit_state_dict()

    @property
    def device(self) -> torch.device:
        return self.ds_engine.device

    def __call__(self, *args, **kwargs):
        return self.ds_engine(*args, **kwargs)

    def backward(self, loss: torch.Tensor) -> None:
        self.ds_engine.backward(loss)

    def step(self) -> None:
        """Optimizer (and scheduler) step at the accumulation boundary, then zero grads."""
        self.ds_engine.step()

    def get_lr(self) -> float:
        return float(self.ds_engine.get_lr()[0])

    def save(self, directory: str | Path, tag: str, client_state: dict[str, Any]) -> None:
        """DeepSpeed checkpoint of model, optimizer and scheduler plus ``client_state``."""
        self.ds_engine.save_checkpoint(str(directory), tag=tag, client_state=client_state)

    def load(self, directory: str | Path, tag: str) -> dict[str, Any]:
        _, client_state = self.ds_engine.load_checkpoint(
            str(directory), tag=tag, load_optimizer_states=True, load_lr_scheduler_states=True
        )
        if client_state is None:
            raise FileNotFoundError(f"no DeepSpeed checkpoint {tag!r} in {directory}")
        return client_state
