"""Experiment tracking: every figure goes to ``metrics.jsonl`` in the run directory and, unless
``logger.backend=none``, to W&B (offline by default: no key, no network, a local run folder
that ``wandb sync`` can upload later).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

WANDB_MODES = ("offline", "online", "disabled")


def _jsonable(v: Any) -> Any:
    if hasattr(v, "item"):  # numpy / torch scalars
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else (1e308 if v > 0 else -1e308)
    return v


def _long_text(v: Any) -> bool:
    return isinstance(v, str) and ("," in v or len(v) > 64)


class Tracker:
    """Writes one JSON object per step to ``metrics.jsonl`` and mirrors it to W&B.

    Args:
        run_dir: the run's output folder.
        backend: ``wandb`` or ``none``.
        mode: W&B mode, one of offline / online / disabled.
        project, group, name, tags: W&B run identity (runs of one sweep share a group).
        config: the resolved run config, stored with the W&B run.
    """

    def __init__(
        self,
        run_dir: str | Path,
        backend: str = "wandb",
        mode: str = "offline",
        project: str = "multireward",
        group: str | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
        config: Mapping[str, Any] | None = None,
        resume: bool = False,
    ) -> None:
        if backend not in ("wandb", "none"):
            raise ValueError(f"logger.backend={backend!r}; allowed values: wandb, none")
        if mode not in WANDB_MODES:
            raise ValueError(f"logger.mode={mode!r}; allowed values: {', '.join(WANDB_MODES)}")
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.metrics_path = self.run_dir / "metrics.jsonl"
        self._file = open(self.metrics_path, "a" if resume else "w", encoding="utf-8")  # noqa: SIM115
        self._wandb = None
        if backend == "wandb":
            import wandb

            os.environ.setdefault("WANDB_SILENT", "true")
            self._wandb = wandb.init(
                project=project,
                group=group,
                name=name,
                tags=list(tags or []),
                config=dict(config or {}),
                mode=mode,
                dir=str(self.run_dir),
                reinit="finish_previous",
            )

    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        """Record the figures of optimizer step ``step``."""
        row = {"step": int(step), **{k: _jsonable(v) for k, v in metrics.items()}}
        self._file.write(json.dumps(row) + "\n")
        self._file.flush()
        if self._wandb is not None:
            # Lists of categories and other long strings stay in metrics.jsonl only.
            logged = {k: v for k, v in row.items() if k != "step" and not _long_text(v)}
            self._wandb.log(logged, step=int(step))

    def summary(self, values: Mapping[str, Any]) -> None:
        if self._wandb is not None:
            for k, v in values.items():
                self._wandb.summary[k] = v

    def finish(self) -> None:
        self._file.close()
        if self._wandb is not None:
            self._wandb.finish()
            self._wandb = None


class NullTracker:
    """What non-zero ranks log to: nothing."""

    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        pass

    def summary(self, values: Mapping[str, Any]) -> None:
        pass

    def finish(self) -> None:
        pass


def build_tracker(cfg: DictConfig, run_dir: str | Path, resume: bool = False) -> Tracker:
    """Tracker from the ``logger`` config group and the run's resolved config.

    Besides the whole config, W&B gets flat ``method``, ``mixer`` and ``seed`` keys (the
    columns a sweep is compared by) and the run's provenance (``run_info.json``: git commit,
    package versions) when the run directory has it.
    """
    lg = cfg.logger
    config = OmegaConf.to_container(cfg, resolve=True)
    config["method"] = OmegaConf.select(cfg, "trainer.method")
    config["mixer"] = OmegaConf.select(cfg, "balancer.name")
    info = Path(run_dir) / "run_info.json"
    if info.exists():
        try:
            run_info = json.loads(info.read_text())
            config["run_info"] = {k: run_info.get(k) for k in ("git", "packages", "rerun")}
        except ValueError:
            pass
    return Tracker(
        run_dir,
        backend=lg.backend,
        mode=lg.get("mode", "offline"),
        project=lg.get("project", "multireward"),
        group=lg.get("group") or cfg.get("exp_name"),
        name=lg.get("name"),
        tags=list(lg.get("tags") or []),
        config=config,
        resume=resume,
    )


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """All rows of a metrics.jsonl file."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def keep_rows_up_to(path: str | Path, step: int) -> None:
    """Drop rows after ``step`` (logged after the checkpoint a run resumes from), so a resumed
    run's metrics.jsonl reads like an uninterrupted one. Written atomically."""
    path = Path(path)
    if not path.exists():
        return
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:  # a line cut by the kill
            continue
        if row.get("step", 0) <= step:
            rows.append(line)
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    os.replace(tmp, path)
