"""The policy to evaluate, a run that stopped before writing ``final_model/`` included
(preempted, timed out, failed): :func:`load_policy` rebuilds that one from its newest intact
checkpoint, so ``experiments.evaluate --model RUN`` evaluates it instead of failing deep in
tokenizer loading. Here, not in :mod:`common.models.assets`: it needs the run directory's
checkpoints (rundir) and the LoRA set-up (training).

A checkpoint (:mod:`common.rundir.checkpoint`) holds DeepSpeed's engine state under
``checkpoints/step-XXXXXXXX/engine/`` and the run's resolved config in
``trainer_state.json``; it holds no tokenizer and no HF config. So the base model and
tokenizer come from the config's ``model.name_or_path`` (and ``model.lora``), and the trained
weights from the engine state: ``mp_rank_00_model_states.pt``'s ``module`` for ZeRO 0-2, the
fp32 partitions gathered by DeepSpeed's ``zero_to_fp32`` for ZeRO-3 (its per-rank
``zero_pp_rank_*`` files hold no full weights). Only reads the checkpoint folder.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from common.rundir.checkpoint import CheckpointManager

log = logging.getLogger(__name__)

MODEL_STATES = "mp_rank_00_model_states.pt"  # ZeRO 0-2: the whole module
ZERO3_MODEL_STATES = "zero_pp_rank_*_mp_rank_00_model_states.pt"
ENGINE_TAG = "engine"  # the tag EngineLoop.write_model_state saves under


class RunWithoutModelError(FileNotFoundError):
    """A run directory with neither ``final_model/`` nor an intact checkpoint; the message
    names the folder and why each checkpoint was rejected."""


def newest_intact_checkpoint(run_dir: Path) -> Path:
    """The newest checkpoint of ``run_dir`` whose files match their manifest.

    Raises:
        RunWithoutModelError: no checkpoint, none intact (each listed with why), or the
            newest intact one not signed with this user's key
            (:mod:`common.rundir.checkpoint_signing`).
    """
    from common.rundir.checkpoint import NoIntactCheckpointError
    from common.rundir.checkpoint_signing import CheckpointUntrusted

    manager = CheckpointManager(run_dir / "checkpoints")
    try:
        # the newest intact one, signed with this user's key: DeepSpeed's shards unpickle
        folder = manager.latest_intact()
    except NoIntactCheckpointError as err:
        raise RunWithoutModelError(
            f"{run_dir} has no final_model/ (the run stopped before exporting it) and {err}"
        ) from None
    except CheckpointUntrusted as err:
        raise RunWithoutModelError(
            f"{run_dir} has no final_model/ (the run stopped before exporting it), and its "
            f"newest intact checkpoint is not loaded: {err}"
        ) from None
    if folder is None:
        raise RunWithoutModelError(
            f"{run_dir} has no final_model/ (the run stopped before exporting it, or ran with "
            f"trainer.export_final=false) and no checkpoint under {manager.root}: nothing to "
            "evaluate"
        )
    return folder


def checkpoint_weights(folder: Path) -> dict[str, Any]:
    """The trained module's state dict in checkpoint ``folder`` ({name: tensor}, on CPU).

    Raises:
        RunWithoutModelError: the folder holds no engine state (a method that trains no
            policy, or another layout).
    """
    import torch

    engine = folder / ENGINE_TAG
    if any(engine.glob(ZERO3_MODEL_STATES)):  # ZeRO-3: every rank holds a slice
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        return get_fp32_state_dict_from_zero_checkpoint(str(folder), tag=ENGINE_TAG)
    states_file = engine / MODEL_STATES
    if not states_file.is_file():
        raise RunWithoutModelError(
            f"{folder} holds no model weights (neither {states_file} nor a ZeRO-3 "
            f"{ZERO3_MODEL_STATES} in {engine})"
        )
    # weights_only=False: DeepSpeed pickles its config and scheduler state beside the weights;
    # latest_intact() has checked the folder's digests and this user's signature on them
    return torch.load(states_file, map_location="cpu", weights_only=False)["module"]


def _load_weights(model, weights: dict[str, Any], folder: Path) -> None:
    """Copy ``weights`` into ``model``; a key left out is only allowed when its parameter is
    tied to one that was loaded (GPT-2's ``lm_head`` shares ``wte``'s storage).

    Raises:
        ValueError: the weights do not fit the model the config names (names the keys).
    """
    missing, unexpected = model.load_state_dict(weights, strict=False)
    params = dict(model.named_parameters(remove_duplicate=False))
    loaded = {params[k].data_ptr() for k in weights if k in params}
    untied = [k for k in missing if k not in params or params[k].data_ptr() not in loaded]
    if untied or unexpected:
        raise ValueError(
            f"the weights in {folder} do not fit the model its config names: missing "
            f"{untied[:5]}, unexpected {list(unexpected)[:5]}"
        )


def load_checkpoint_policy(folder: Path, dtype: str = "float32"):
    """The policy in checkpoint ``folder``, LoRA adapters merged, and the tokenizer of the
    config's base model.

    Returns:
        (model, tokenizer) as :func:`common.models.assets.load_causal_lm` returns them.
    """
    from omegaconf import OmegaConf

    from common.models.assets import load_causal_lm
    from common.training.policy import apply_lora

    cfg = OmegaConf.create(CheckpointManager.read_state(folder)["config"])
    model, tok = load_causal_lm(
        str(cfg.model.name_or_path),
        dtype=dtype,
        seed=int(cfg.get("seed", 0)),
        trust_remote_code=bool(cfg.model.get("trust_remote_code", False)),
    )
    model = apply_lora(model, cfg.model.get("lora", {}))
    _load_weights(model, checkpoint_weights(folder), folder)
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    return model.eval(), tok


def load_unexported_run(run_dir: Path, dtype: str = "float32"):
    """:func:`load_checkpoint_policy` of ``run_dir``'s newest intact checkpoint, saying on
    stderr (a warning) that the run has no ``final_model/`` and which step is evaluated."""
    folder = newest_intact_checkpoint(run_dir)
    state = CheckpointManager.read_state(folder)
    steps = (state.get("config") or {}).get("trainer", {}).get("steps", "?")
    log.warning(
        "%s has no final_model/ (the run stopped before exporting it: preempted, timed out or "
        "failed); evaluating its newest intact checkpoint %s (step %s of %s)",
        run_dir,
        folder,
        state.get("step", "?"),
        steps,
    )
    return load_checkpoint_policy(folder, dtype)


def load_policy(spec: str, dtype: str = "float32"):
    """The policy ``experiments.evaluate --model SPEC`` means: a run directory without
    ``final_model/`` through :func:`load_unexported_run`, anything else (``default``, a hub
    id, a model or adapter folder, a run directory with ``final_model/``) through
    :func:`common.models.assets.load_trained_policy`.

    Returns:
        (model, tokenizer), adapters merged, in eval mode.
    """
    from common.models.assets import is_unexported_run, load_trained_policy

    path = Path(spec).expanduser()
    if is_unexported_run(path):
        return load_unexported_run(path, dtype)
    return load_trained_policy(spec, dtype=dtype)
