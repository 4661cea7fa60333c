"""Experiment tracking: every figure goes to ``metrics.jsonl`` in the run directory and, unless
``logger.backend=none``, to W&B (offline by default: no key, no network, a local run folder
that ``wandb sync`` can upload later).

``WANDB_MODE`` in the environment wins over ``logger.mode`` (wandb's own ``mode=`` argument
would otherwise override the variable its docs tell users to set). An online run that W&B
cannot start — no API key, a rejected key, no network (after W&B's ``init_timeout``) — falls
back, with a warning saying what to do, to an offline run in the same folder: nothing has been
logged yet at that point, so nothing is lost and the run is not stopped over its dashboard.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)

WANDB_MODES = ("offline", "online", "disabled")
WANDB_MODE_ALIASES = {"dryrun": "offline", "run": "online"}  # wandb's older names


class WandbStartError(RuntimeError):
    """W&B could start neither the online run asked for nor the offline fallback; the message
    says what to set instead."""


def wandb_mode(configured: str) -> str:
    """The W&B mode to use: ``WANDB_MODE`` from the environment when it names one (logged
    when it differs from ``logger.mode``), else ``configured``."""
    env = os.environ.get("WANDB_MODE")
    if not env:
        return configured
    mode = WANDB_MODE_ALIASES.get(env, env)
    if mode not in WANDB_MODES:
        log.warning(
            "WANDB_MODE=%s is not one of %s: ignored, logger.mode=%s is used",
            env,
            ", ".join(WANDB_MODES),
            configured,
        )
        return configured
    if mode != configured:
        log.info("WANDB_MODE=%s overrides logger.mode=%s", env, configured)
    return mode


def start_wandb(mode: str, run_dir: Path, **kwargs: Any):
    """``wandb.init(mode=mode, dir=run_dir, **kwargs)``; an online start that fails (no key,
    a rejected key, no network) warns and starts offline instead."""
    import wandb

    try:
        return wandb.init(mode=mode, dir=str(run_dir), **kwargs)
    except (wandb.errors.Error, OSError) as err:  # UsageError, AuthenticationError, CommError
        if mode != "online":
            raise WandbStartError(
                f"logger.mode={mode}: W&B could not start a run in {run_dir} "
                f"({type(err).__name__}: {err}). logger=none writes metrics.jsonl only."
            ) from err
        cause = f"{type(err).__name__}: {err}".strip()
    log.warning(
        "logger=wandb: W&B could not start an online run (%s). Logging to an offline W&B run "
        "in %s/wandb instead (upload it later with `wandb sync %s/wandb/offline-run-*`); "
        "metrics.jsonl is written as always. To choose this from the start pass "
        "logger=wandb_offline (or set WANDB_MODE=offline); to log online run `wandb login` or "
        "set WANDB_API_KEY, with network access (WANDB_INIT_TIMEOUT=<seconds> shortens the "
        "wait for an unreachable server); logger=none logs to metrics.jsonl only.",
        cause,
        run_dir,
        run_dir,
    )
    try:
        return wandb.init(mode="offline", dir=str(run_dir), **kwargs)
    except (wandb.errors.Error, OSError) as err:
        raise WandbStartError(
            f"logger=wandb: W&B could start neither an online run ({cause}) nor an offline one "
            f"in {run_dir} ({type(err).__name__}: {err}). Pass logger=none to log to "
            "metrics.jsonl only."
        ) from err


class MetricsWriteError(OSError):
    """A metrics.jsonl row could not be written (full disk, I/O error). The message names the
    file, the step and what the file still holds; no partial row is left in it."""


class MetricsFileError(ValueError):
    """metrics.jsonl holds an unparsable row before its last line (not a torn final write):
    the message names the file and line; the file is left untouched."""


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
        # Opened at the first row: a resume that falls back to an older checkpoint may still
        # cut the file before then. Raw fd writes: a failed write can be undone exactly.
        self._append = resume
        self._fd: int | None = None
        self._last_step: int | None = None
        if not resume:
            self._open()
        self._wandb = None
        if backend == "wandb":
            os.environ.setdefault("WANDB_SILENT", "true")
            self._wandb = start_wandb(
                wandb_mode(mode),
                self.run_dir,
                project=project,
                group=group,
                name=name,
                tags=list(tags or []),
                config=dict(config or {}),
                reinit="finish_previous",
            )

    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        """Record the figures of optimizer step ``step``."""
        row = {"step": int(step), **{k: _jsonable(v) for k, v in metrics.items()}}
        self._write_row((json.dumps(row) + "\n").encode("utf-8"), int(step))
        if self._wandb is not None:
            # Lists of categories and other long strings stay in metrics.jsonl only.
            logged = {k: v for k, v in row.items() if k != "step" and not _long_text(v)}
            self._wandb.log(logged, step=int(step))

    def _open(self) -> None:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if self._append else os.O_TRUNC)
        try:
            self._fd = os.open(self.metrics_path, flags, 0o644)
        except OSError as err:
            raise MetricsWriteError(
                err.errno, f"cannot open {self.metrics_path} for writing: {err.strerror or err}"
            ) from err

    def _write_row(self, data: bytes, step: int) -> None:
        """Append one whole row or nothing: on a failed or short write the file is cut back
        to where the row began."""
        if self._fd is None:
            self._open()
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as err:
            try:
                os.ftruncate(self._fd, start)
                kept = (
                    f"rows up to step {self._last_step} are kept"
                    if self._last_step is not None
                    else f"the {start} bytes written before it are kept"
                )
            except OSError:
                kept = "the row may be partly written"
            msg = (
                f"could not write step {step}'s row to {self.metrics_path}: "
                f"{err.strerror or err}; {kept}, with no partial row"
            )
            raise MetricsWriteError(err.errno, msg) from err
        self._last_step = step

    def summary(self, values: Mapping[str, Any]) -> None:
        if self._wandb is not None:
            for k, v in values.items():
                self._wandb.summary[k] = v

    def finish(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
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


def build_tracker(
    cfg: DictConfig, run_dir: str | Path, resume: bool = False, *, method: str
) -> Tracker:
    """Tracker from the ``logger`` config group and the run's resolved config.

    Besides the whole config, W&B gets flat ``method``, ``mixer`` and ``seed`` keys (the
    columns a sweep is compared by) and the run's provenance (``run_info.json``: git commit,
    package versions) when the run directory has it. ``method`` is the loop class's
    ``method`` (e.g. ``drbo`` for ``trainer=remax``), the one place a trainer's label lives.
    """
    lg = cfg.logger
    config = OmegaConf.to_container(cfg, resolve=True)
    config["method"] = method
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
    run's metrics.jsonl reads like an uninterrupted one. Written atomically.

    Only the last line may be unparsable (a row cut by a kill mid-write) and is then dropped;
    an unparsable row before it is corruption, not a torn write, and raises
    :class:`MetricsFileError` naming the file and line, leaving the file as it was.
    """
    path = Path(path)
    if not path.exists():
        return
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    rows = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
        except ValueError as err:
            if i == len(lines):  # a line cut by the kill
                continue
            raise MetricsFileError(
                f"{path}:{i}: unparsable metrics row before the last line ({err}); only a "
                "torn last line is repaired on resume. Fix or remove that line, then resume."
            ) from None
        if int(row.get("step", 0)) <= step:
            rows.append(line)
    tmp = path.with_suffix(".jsonl.tmp")
    try:
        tmp.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise MetricsWriteError(
            err.errno,
            f"could not rewrite {path} up to step {step} on resume: {err.strerror or err}; "
            "the file is kept as it was",
        ) from err
