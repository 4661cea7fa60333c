"""Worker for the two-process tests: ``torchrun --nproc_per_node=2 two_ranks.py OUT OVERRIDES...``.

Each rank trains the composed run and writes what its reward step ended with (the mixer's and
the MAB scaler's state) and the figures it computed each step to ``OUT/rank<r>.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common.distributed import rank
from experiments.compose import compose_config
from experiments.trainers import trainer_class


def main() -> None:
    out, *overrides = sys.argv[1:]
    cfg = compose_config(*overrides, output_dir=out)
    loop = trainer_class(cfg.trainer.name)(cfg, Path(out) / "run")
    seen: list[dict] = []
    train_step = loop.train_step

    def recorded(step, batch):
        figures = train_step(step, batch)
        seen.append({k: v for k, v in figures.items() if not k.startswith("time/")})
        return figures

    loop.train_step = recorded
    loop.fit()
    record = {"state": loop.rewards.state_dict(), "figures": seen}
    (Path(out) / f"rank{rank()}.json").write_text(json.dumps(record, sort_keys=True))


if __name__ == "__main__":
    main()
