"""Worker for the two-process non-finite-loss test: ``torchrun --nproc_per_node=2
nan_rank_worker.py OUT OVERRIDES...``.

Rank ``NAN_LOSS_ON_RANK``'s first loss is NaN (the other ranks' are real). Each rank runs the
composed trainer and writes to ``OUT/rank<r>.json`` the error it stopped with (type, message,
step, rank named) or ``null`` when it finished, and whether an optimizer step ran.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch

from common.rundir.distributed import rank
from experiments.compose import compose_config
from experiments.trainers import TRAINERS


def poisoned(real, on_rank: bool):
    """``real`` (a loss function returning (loss, ...)) whose loss is NaN on this rank."""

    def loss_fn(*args, **kwargs):
        out = real(*args, **kwargs)
        if not on_rank or kwargs.get("dummy"):
            return out
        if out[0] is None:  # LASeR without a pair this step: NaN all the same
            return (torch.tensor(float("nan")), *out[1:])
        return (out[0] * float("nan"), *out[1:])

    return loss_fn


def main() -> None:
    out, *overrides = sys.argv[1:]
    cfg = compose_config(*overrides, output_dir=out)
    loop = TRAINERS.get(cfg.trainer.name)(cfg, Path(out) / "run")
    on_rank = os.environ["NAN_LOSS_ON_RANK"] == str(rank())
    if hasattr(loop, "policy_loss"):  # the REINFORCE-family loop
        loop.policy_loss = poisoned(loop.policy_loss, on_rank)
    else:  # LASeR's preference loss
        loop._loss = poisoned(loop._loss, on_rank)
    steps = []
    engine_step = loop.engine.step
    loop.engine.step = lambda: steps.append(1) or engine_step()
    record: dict = {"error": None, "optimizer_steps": 0}
    try:
        loop.fit()
    except Exception as err:  # what each rank stopped with, for the test to compare
        record["error"] = {
            "type": type(err).__name__,
            "message": str(err),
            "step": getattr(err, "step", None),
            "rank": getattr(err, "rank", None),
        }
    record["optimizer_steps"] = len(steps)
    (Path(out) / f"rank{rank()}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main()
