"""What ``resume`` means for a run directory, decided before any model loads.

``resume=false`` starts at step 1. ``resume=true`` continues from the newest intact checkpoint,
or says there is none and starts at step 1; ``resume=must`` fails instead (a mistyped run
directory should not silently become a fresh run). A requeued SLURM job resumes as with
``true``. Every checkpoint stores the run's resolved config, and a resume whose config differs
in a key that changes the training trajectory (method, mixer and its settings, rewards, model,
LoRA, seed, data, optimizer...) is refused with the differing keys listed: continuing an
``inverse`` run as ``average`` would mislabel every step it had already taken. Only the keys in
:data:`MAY_CHANGE` may differ (more steps, logging, evaluation size, checkpoint cadence).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from common.rundir.checkpoint import CheckpointManager
from common.rundir.preemption import requeued

log = logging.getLogger(__name__)

RESUME_VALUES = (False, True, "must")

# Keys (or key prefixes) that a resumed run may change: none of them alters the steps already
# taken or the ones to come. Everything else must match the checkpoint.
MAY_CHANGE = (
    "resume",
    "trust_checkpoint",
    "logger",
    "paths",
    "stop_signals",
    "trainer.steps",  # upward only (checked separately)
    "trainer.eval_before",
    "trainer.eval_after",
    "trainer.eval_batch_size",
    "trainer.save_every",
    "trainer.keep_checkpoints",
    "trainer.export_final",
    "dataset.max_eval",
    "rewards.max_resident",
    # where and with what memory the vLLM worker runs, not what it samples
    "rollout.vllm.python",
    "rollout.vllm.kvcache_gib",
    "rollout.vllm.gpu_memory_utilization",
    "rollout.vllm.work_dir",
)
HYDRA_COPY = "hydra"  # the run's .hydra/*.yaml, copied into each checkpoint


class ResumeError(RuntimeError):
    """``resume`` cannot be honoured as asked; the message says why and what to do."""


def resume_mode(cfg: DictConfig) -> str:
    """``never``, ``if_any`` (resume=true, or a requeued job) or ``must``."""
    value = cfg.get("resume", False)
    if value == "must":
        return "must"
    if value is True or requeued():
        return "if_any"
    return "never"


def resolved_config(cfg: DictConfig) -> dict[str, Any]:
    """The config as plain data, interpolations resolved where they can be."""
    try:
        return OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # ${hydra:...} outside a Hydra app
        return OmegaConf.to_container(cfg, resolve=False)


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out if out or not prefix else {prefix[:-1]: {}}
    return {prefix[:-1]: node}


def _may_change(key: str) -> bool:
    return any(key == p or key.startswith(p + ".") for p in MAY_CHANGE)


def schema_defaults(cfg: DictConfig, prefix: str = "") -> dict[str, Any]:
    """Flat ``key -> default`` of every structured-config node in ``cfg`` (the trainer's and
    the balancer's schemas, read from the node's own dataclass: rundir imports neither)."""
    out: dict[str, Any] = {}
    kind = OmegaConf.get_type(cfg)
    if dataclasses.is_dataclass(kind):
        blank = OmegaConf.to_container(OmegaConf.structured(kind), resolve=False)
        out.update(
            {f"{prefix}{k}": v for k, v in _flatten(blank).items() if v != "???"}  # MISSING
        )
    for key in cfg.keys():
        node = cfg._get_node(key)
        if isinstance(node, DictConfig) and not node._is_none():
            out.update(schema_defaults(node, f"{prefix}{key}."))
    return out


def config_drift(
    saved: dict[str, Any], current: dict[str, Any], defaults: dict[str, Any] | None = None
) -> list[tuple[str, Any, Any]]:
    """``(key, checkpoint value, run value)`` for every key outside :data:`MAY_CHANGE` whose
    value differs (a key present on one side only counts, with ``<absent>``), except a key the
    checkpoint lacks that the run holds at its schema default (``defaults``, flat keys): a key
    added to a schema after the checkpoint was written, at the value that keeps the old
    behaviour, is not drift."""
    a, b = _flatten(saved), _flatten(current)
    absent = "<absent>"
    defaults = defaults or {}

    def added_at_default(k: str) -> bool:
        return k not in a and k in b and k in defaults and defaults[k] == b[k]

    return [
        (k, a.get(k, absent), b.get(k, absent))
        for k in sorted(set(a) | set(b))
        if not _may_change(k) and a.get(k, absent) != b.get(k, absent) and not added_at_default(k)
    ]


def check_compatible(cfg: DictConfig, folder: Path, state: dict[str, Any]) -> None:
    """Refuse to resume from ``folder`` with a config that changes the trajectory, or with
    ``trainer.steps`` below the checkpoint's step."""
    step = int(state["step"])
    steps = int(cfg.trainer.steps)
    if steps < step:
        raise ResumeError(
            f"trainer.steps={steps} is below the step of the checkpoint to resume from "
            f"({folder}, step {step}): nothing would train. Pass trainer.steps>={step}."
        )
    saved = state.get("config")
    if saved is None:
        log.warning("checkpoint %s records no config (an older format): not compared", folder)
        return
    drift = config_drift(saved, resolved_config(cfg), schema_defaults(cfg))
    if drift:
        lines = "\n".join(
            f"  {k}: {old!r} (checkpoint) -> {new!r} (this run)" for k, old, new in drift
        )
        raise ResumeError(
            f"resume: this run's config differs from the one checkpoint {folder} was trained "
            f"with, in keys that change the training trajectory:\n{lines}\n"
            "Resume with the checkpoint's values, or start a new run directory. Keys that "
            f"may change on resume: {', '.join(MAY_CHANGE)} (trainer.steps upward only)."
        )


def restore_hydra_files(folder: Path, run_dir: Path) -> None:
    """Put the checkpoint's copy of ``.hydra/*.yaml`` back: Hydra rewrote them for the refused
    run before any of our code ran, and the run directory must stay labelled as trained."""
    saved = folder / HYDRA_COPY
    if not saved.is_dir():
        return
    target = run_dir / ".hydra"
    target.mkdir(parents=True, exist_ok=True)
    for f in saved.glob("*.yaml"):
        shutil.copy2(f, target / f.name)


def copy_hydra_files(run_dir: Path, folder: Path) -> None:
    """Store the run's ``.hydra/*.yaml`` in a checkpoint being written."""
    source = run_dir / ".hydra"
    if not source.is_dir():
        return
    (folder / HYDRA_COPY).mkdir(exist_ok=True)
    for f in source.glob("*.yaml"):
        shutil.copy2(f, folder / HYDRA_COPY / f.name)


def plan_resume(cfg: DictConfig, run_dir: str | Path) -> Path | None:
    """The checkpoint this run continues from (None: start at step 1), after every check.

    Raises:
        ResumeError: ``resume=must`` with nothing to resume, ``trainer.steps`` below the
            checkpoint's step, or a config that changes the trajectory (the run directory's
            ``.hydra`` files are restored to the checkpoint's first).
        NoIntactCheckpointError: checkpoints exist and every one is corrupt.
        CheckpointUntrusted: the newest intact checkpoint is not signed with this user's key
            (and ``trust_checkpoint`` is not true).
    """
    mode = resume_mode(cfg)
    if mode == "never":
        return None
    run_dir = Path(run_dir)
    manager = CheckpointManager(
        run_dir / "checkpoints", trust_unsigned=bool(cfg.get("trust_checkpoint", False))
    )
    folder = manager.latest_intact()
    if folder is None:
        where = (
            f"{run_dir} holds no checkpoints/ folder"
            if not manager.root.exists()
            else (f"{manager.root} holds no checkpoint")
        )
        if mode == "must":
            raise ResumeError(f"resume=must: nothing to resume: {where}")
        log.warning("resume=true: nothing to resume (%s); starting at step 1", where)
        return None
    try:
        check_compatible(cfg, folder, manager.read_state(folder))
    except ResumeError:
        restore_hydra_files(folder, run_dir)
        raise
    return folder
