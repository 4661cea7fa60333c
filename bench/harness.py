"""What every bench shares: the machine a figure came from, timing and medians, verdicts,
the ``--threads`` option, the quiet-run overrides and writing ``bench/results/*.json``.

A result file is one JSON object; the fields every bench writes (when it writes them):
``bench`` (its name), ``machine`` (:func:`machine`), ``load_average`` (:func:`load_average`)
and ``verdicts`` (a list of :func:`verdict_row` dicts). ``bench/summary.py`` reads them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

RESULTS = Path(__file__).resolve().parent / "results"
# Every bench's loop runs only the steps it times: no evaluation, checkpoints, export, tracker.
QUIET_RUN = (
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.save_every=0",
    "trainer.export_final=false",
    "logger=none",
)


# ---- machine -------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    """Python, platform, core count, torch version and threads: the context every result needs
    (``torch`` keys left out where torch does not import)."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch
    except ImportError:
        return info
    info["torch"] = torch.__version__
    info["torch_threads"] = torch.get_num_threads()
    return info


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: how busy the shared machine was at the time."""
    return list(os.getloadavg())


def add_threads_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: torch's choice; 1 on a machine shared with other jobs, "
        "where 2 threads on a busy core wait on each other at every op)",
    )


def apply_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


# ---- timing --------------------------------------------------------------------------------------
def median(values: Iterable[float]) -> float:
    """The median of ``values``; 0.0 when there are none."""
    vals = list(values)
    return float(statistics.median(vals)) if vals else 0.0


def median_or_none(values: Iterable[float]) -> float | None:
    """The median of ``values``; None when there are none (a side that did not run)."""
    vals = list(values)
    return float(statistics.median(vals)) if vals else None


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of one call of ``fn``."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def seconds(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes."""
    return timed(fn)[0]


def median_seconds(fn: Callable[[], Any], reps: int) -> float:
    """Median seconds of ``reps`` calls of ``fn`` (a median: one call slowed by another job on
    the shared cores does not move it)."""
    return median(seconds(fn) for _ in range(reps))


# ---- verdicts ------------------------------------------------------------------------------------
def pass_word(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def verdict_row(name: str, value: Any, target: str, passed: bool, text: str) -> dict[str, Any]:
    """One verdict as every bench writes it; ``line`` is ``text`` ending in PASS or FAIL."""
    line = f"{text}: {pass_word(passed)}"
    return {"name": name, "value": value, "target": target, "pass": passed, "line": line}


# ---- results -------------------------------------------------------------------------------------
def write_atomic(path: Path, text: str) -> Path:
    """Write ``path`` through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write_json(path: Path, result: dict[str, Any]) -> Path:
    """``result`` as indented JSON at ``path`` (atomically)."""
    return write_atomic(path, json.dumps(result, indent=2) + "\n")


def write_result(name: str, result: dict[str, Any], results_dir: Path = RESULTS) -> Path:
    """Write ``results_dir/name`` atomically."""
    return write_json(results_dir / name, result)
