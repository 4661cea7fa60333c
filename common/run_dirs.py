"""Reading a run directory's Hydra config outside a Hydra app."""

from __future__ import annotations

import re
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

_HYDRA_INTERP = re.compile(r"\$\{hydra:([\w.]+)\}")


def load_run_config(run_dir: str | Path) -> DictConfig | None:
    """The run's ``.hydra/config.yaml``, or None when the run has none.

    Hydra saves the config unresolved; ``${hydra:KEY}`` interpolations only resolve inside a
    Hydra app, so they are replaced by their values from ``.hydra/hydra.yaml`` when present.
    """
    folder = Path(run_dir) / ".hydra"
    path = folder / "config.yaml"
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    if _HYDRA_INTERP.search(text) and (folder / "hydra.yaml").exists():
        hydra = OmegaConf.load(folder / "hydra.yaml")

        def value(m: re.Match) -> str:
            v = OmegaConf.select(hydra, f"hydra.{m.group(1)}", default=None)
            return m.group(0) if v is None else str(v)

        text = _HYDRA_INTERP.sub(value, text)
    cfg = OmegaConf.create(text)
    OmegaConf.set_struct(cfg, False)
    return cfg
