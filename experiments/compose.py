"""Compose the real Hydra config outside a Hydra app (tests, benchmarks, notebooks).

`paths.output_dir` is set explicitly because `${hydra:runtime.cwd}` only resolves in an app.
"""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

CONF = Path(__file__).resolve().parents[1] / "conf"


def compose_config(
    *overrides: str, output_dir: str | Path = "/tmp/multireward-tests"
) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=[f"paths.output_dir={output_dir}", *overrides])
    OmegaConf.set_struct(cfg, False)
    return cfg
