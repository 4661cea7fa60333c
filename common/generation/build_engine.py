"""The rollout engine a run's ``rollout`` config asks for: the decode loop, or vLLM in a worker
process (``rollout.engine=loop|vllm|auto``). Apart from :mod:`common.generation.engines` so
that the vLLM engine, which builds on that module's helpers, is imported only here (no cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from common.generation.engines import (
    SIDE_VENV_PYTHON,
    LoopEngine,
    RolloutEngine,
    module_device_type,
    resolve_engine_name,
    vllm_python,
)
from common.generation.vllm_engine import VllmEngine


def build_rollout_engine(
    options: Any, model_of: Callable[[], Any], tokenizer, seed: int = 0
) -> RolloutEngine:
    """The engine ``options`` (the ``rollout`` config node, or None: loop) asks for."""
    options = options or {}
    requested = str(options.get("engine", "loop"))
    vllm_options = dict(options.get("vllm") or {})
    python = None
    if requested != "loop":
        python = vllm_python(vllm_options.get("python", "auto"))
    device = module_device_type(model_of())
    name = resolve_engine_name(requested, device, python is not None)
    if name == "loop":
        return LoopEngine(model_of, tokenizer)
    if python is None:
        raise RuntimeError(
            "rollout.engine=vllm: no Python with vLLM found (this interpreter has no vllm and "
            f"{SIDE_VENV_PYTHON} does not exist or lacks it); run `make install-vllm` (CPU) "
            "or `make install-gpu`, or set rollout.vllm.python"
        )
    return VllmEngine(model_of, tokenizer, python=python, seed=seed, **_engine_kwargs(vllm_options))


def _engine_kwargs(vllm_options: dict) -> dict:
    keys = ("dtype", "kvcache_gib", "max_model_len", "gpu_memory_utilization", "work_dir")
    return {k: vllm_options[k] for k in keys if vllm_options.get(k) is not None}
