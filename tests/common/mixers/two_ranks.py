"""Worker for the two-process tests: ``torchrun --nproc_per_node=2 two_ranks.py OUT OVERRIDES...``.

Each rank trains the composed run and writes what its reward step ended with (the mixer's and
the MAB scaler's state), the figures it computed each step and a digest of its trained
parameters to ``OUT/rank<r>.json``. With ``NO_PAIRS_ON_RANK=<r>`` set, rank r's LASeR steps
build no preference pair (as when every sample ties) while the other ranks train.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import torch

from common.rundir.distributed import rank
from experiments.compose import compose_config
from experiments.trainers import TRAINERS


def main() -> None:
    out, *overrides = sys.argv[1:]
    cfg = compose_config(*overrides, output_dir=out)
    loop = TRAINERS.get(cfg.trainer.name)(cfg, Path(out) / "run")
    seen: list[dict] = []
    train_step = loop.train_step

    def recorded(step, batch):
        figures = train_step(step, batch)
        seen.append({k: v for k, v in figures.items() if not k.startswith("time/")})
        return figures

    loop.train_step = recorded
    if os.environ.get("NO_PAIRS_ON_RANK") == str(rank()):
        real_loss = loop._loss

        def no_pairs(rollout, scores, dummy=False):
            if dummy:
                return real_loss(rollout, scores, dummy=True)
            return None, {"pairs": 0}, [None] * scores.shape[0]

        loop._loss = no_pairs
    loop.fit()
    digest = hashlib.sha1()
    for name, p in sorted(loop.policy.named_parameters()):
        if p.requires_grad:
            digest.update(name.encode() + p.detach().to(torch.float64).numpy().tobytes())
    record = {"state": loop.rewards.state_dict(), "figures": seen, "params": digest.hexdigest()}
    (Path(out) / f"rank{rank()}.json").write_text(json.dumps(record, sort_keys=True))


if __name__ == "__main__":
    main()
