"""Which floating-point precision a run computes in: ``model.precision=auto|fp32|bf16``.

``auto`` picks bf16 where the hardware runs it fast and fp32 elsewhere:
- CUDA: bf16 when ``torch.cuda.is_bf16_supported()``;
- CPU: bf16 when the CPU has AMX-BF16 or AVX512-BF16 (``/proc/cpuinfo`` flags ``amx_bf16`` /
  ``avx512_bf16``, or torch's own capability report ``AMX``). Without them oneDNN emulates
  bf16 matmuls and they run slower than fp32.

bf16 is DeepSpeed's bf16 mode (common.training.engine): the module computes in bf16 while the
optimizer keeps fp32 master weights and fp32 Adam state, so small updates are not lost.
Generation, the reference forward and evaluation then use the bf16 module directly (no second
copy of the weights to refresh). Why not fp32 weights under ``torch.autocast``: on a quiet
2-core AMX/AVX512-BF16 CPU (SmolLM2-135M, batch 4, ~290-token prompts, 32 new tokens) bf16
weights ran ``generate`` in 2.20 s against autocast's 2.53 s and a training forward+backward
in 2.55 s against 3.09 s (fp32: 3.37 s and 5.80 s): autocast re-casts every weight at every
op. ``bench/bench_precision.py`` (part b) measures the same comparison side by side.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "bf16")
TORCH_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
CPU_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def _cpuinfo_flags(path: str = "/proc/cpuinfo") -> set[str]:
    try:
        text = Path(path).read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


@functools.cache
def cpu_has_fast_bf16() -> bool:
    """True when this CPU has native bf16 dot products (AMX-BF16 or AVX512-BF16)."""
    if any(f in _cpuinfo_flags() for f in CPU_BF16_FLAGS):
        return True
    # Without /proc/cpuinfo (macOS, containers hiding it), torch's dispatch level: AMX
    # implies AMX-BF16 on every CPU that has it.
    return "AMX" in str(torch.backends.cpu.get_cpu_capability()).upper()


def resolve_precision(precision: str, device: str | None = None) -> str:
    """``auto`` -> ``bf16`` or ``fp32`` for ``device`` (default: CUDA when present, else CPU);
    ``fp32`` / ``bf16`` / ``fp16`` are returned as they are.

    Raises:
        ValueError: naming the key and the allowed values for anything else.
    """
    if precision in ("fp32", "bf16", "fp16"):
        return precision
    if precision != "auto":
        raise ValueError(f"model.precision={precision!r}; allowed values: {', '.join(PRECISIONS)}")
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_fast_bf16() else "fp32"


def emulated_bf16_warning(precision: str, key: str = "model.precision") -> str | None:
    """A warning when ``precision`` forces bf16 on a CPU run whose CPU has no native bf16
    (``auto`` would pick fp32 there): oneDNN emulates the bf16 matmuls and they run slower
    than fp32. None when there is nothing to say (CUDA, ``auto``, fp32, a fast-bf16 CPU)."""
    if precision != "bf16" or torch.cuda.is_available() or cpu_has_fast_bf16():
        return None
    return (
        f"{key}=bf16 on a CPU without native bf16 (no {' / '.join(CPU_BF16_FLAGS)} in "
        "/proc/cpuinfo, no AMX): bf16 is emulated and runs slower than fp32; "
        f"{key}=auto picks fp32 here"
    )


def torch_dtype(precision: str) -> torch.dtype:
    """The compute dtype of a resolved precision (``fp32`` -> torch.float32, ...)."""
    return TORCH_DTYPES[resolve_precision(precision)]


def cast_parameters(module: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Module:
    """Cast ``module``'s floating parameters to ``dtype`` and leave its buffers as they are:
    DeepSpeed's bf16 rule (a rotary ``inv_freq`` stays fp32). ``module.to(bfloat16)`` would
    round the buffers too, and a reference or bench model cast that way computes different
    positions than the trained policy (step-1 KL of -0.19 instead of 0 on SmolLM2)."""
    for p in module.parameters():
        if p.is_floating_point():
            p.data = p.data.to(dtype)
    return module


def dtype_name(dtype: str) -> str:
    """A model-loading dtype name with ``auto`` resolved: ``bfloat16`` where bf16 is fast,
    else ``float32``; any other name (``float32``, ``bfloat16``, ...) is returned as is."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if resolve_precision("auto") == "bf16" else "float32"


def describe() -> dict[str, object]:
    """What the precision choice was based on (recorded in run_info.json)."""
    return {
        "cuda": torch.cuda.is_available(),
        "cuda_bf16": bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported()),
        "cpu_bf16_flags": sorted(f for f in CPU_BF16_FLAGS if f in _cpuinfo_flags()),
        "cpu_capability": str(torch.backends.cpu.get_cpu_capability()),
    }
