"""Process-group helpers that degrade to no-ops in a single process.

Every rank runs the same loop; rank 0 alone writes metrics, summaries and plots. Figures a
mixer learns from are gathered across ranks so every rank's balancer or bandit stays
identical.
"""

from __future__ import annotations

import os
from typing import Any

import torch.distributed as dist


def _active() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's global rank (the launcher's RANK before the group exists)."""
    return dist.get_rank() if _active() else int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return dist.get_world_size() if _active() else int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    return rank() == 0


def barrier() -> None:
    if _active() and dist.get_world_size() > 1:
        dist.barrier()


def all_gather_object(obj: Any) -> list[Any]:
    """``[obj of rank 0, obj of rank 1, ...]``; ``[obj]`` in a single process."""
    if not _active() or dist.get_world_size() == 1:
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out
