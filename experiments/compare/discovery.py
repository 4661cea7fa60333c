"""Finding run directories under the inputs, loading them and grouping them into table rows."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, ListConfig
from omegaconf.errors import OmegaConfBaseException

from common.rundir.runs import RunDir, RunFileError, select

log = logging.getLogger("experiments.compare")

ZERO_SHOT = "zero-shot"
MAX_DEPTH = 4  # how deep below an input folder run directories are looked for


class CompareError(Exception):
    """A user-facing problem with the inputs (no runs, unknown baseline or metric)."""


def _looks_like_run(folder: Path) -> bool:
    return (folder / ".hydra").is_dir() or (folder / "metrics.jsonl").exists()


def find_run_dirs(inputs: Sequence[str | Path]) -> tuple[list[Path], list[Path]]:
    """Run directories under the inputs.

    Returns:
        (runs, failed): folders with ``summary.json``, and run-looking folders (``.hydra/`` or
        ``metrics.jsonl``) without one; both sorted, as resolved paths, each folder once
        (a symlink to a folder already found, or a loop back to an ancestor, is not followed
        again). A run directory's own subfolders are not searched.

    Raises:
        CompareError: an input does not exist.
    """
    runs: set[Path] = set()
    failed: set[Path] = set()
    seen: set[Path] = set()  # resolved folders searched so far

    def walk(folder: Path, depth: int) -> None:
        real = folder.resolve()
        if real in seen:
            if folder.is_symlink():
                log.info("not following %s: it leads to %s, searched already", folder, real)
            return
        seen.add(real)
        if (real / "summary.json").exists():
            runs.add(real)
        elif _looks_like_run(real):
            failed.add(real)
        elif depth < MAX_DEPTH:
            for child in sorted(folder.iterdir()):
                if child.is_dir() and not child.name.startswith("."):
                    walk(child, depth + 1)

    for item in inputs:
        path = Path(item)
        if not path.is_dir():
            raise CompareError(f"{path} is not a directory")
        walk(path, 0)
    return sorted(runs), sorted(failed)


class DamagedRunError(CompareError):
    """A run folder whose files cannot be read as a run writes them (cut short, not JSON,
    another schema): the comparison skips it with a warning naming the file."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_summary(path: Path, summary: dict[str, Any]) -> None:
    """The parts of ``summary.json`` the comparison reads have the shape a run writes:
    ``eval.{before,after}`` maps of metric -> number (or null), an integer ``seed``.

    Raises:
        DamagedRunError: naming the file and the key.
    """
    where = path / "summary.json"
    evals = summary.get("eval")
    if not isinstance(evals, dict):
        raise DamagedRunError(f"{where}: no 'eval' object (not a summary of a finished run)")
    for phase in ("before", "after"):
        scores = evals.get(phase) or {}
        if not isinstance(scores, dict):
            raise DamagedRunError(f"{where}: eval.{phase} is {scores!r}, an object expected")
        for metric, value in scores.items():
            if value is not None and not _is_number(value):
                raise DamagedRunError(
                    f"{where}: eval.{phase}.{metric} is {value!r}, a number expected"
                )
    seed = summary.get("seed", 0)
    if not (isinstance(seed, int) or (isinstance(seed, str) and seed.lstrip("-").isdigit())):
        raise DamagedRunError(f"{where}: seed is {seed!r}, an integer expected")
    for key in ("eval_ci",):
        if summary.get(key) is not None and not isinstance(summary[key], dict):
            raise DamagedRunError(f"{where}: {key} is {summary[key]!r}, an object expected")


def load_run(run_dir: str | Path) -> RunDir:
    """The finished run in ``run_dir``, every file it reads checked now (so a damaged run is
    skipped before the table, not a traceback mid-table).

    Raises:
        FileNotFoundError: ``run_dir`` has no ``summary.json``.
        DamagedRunError: a file is unreadable, cut short or of another schema (names it).
    """
    run = RunDir(Path(run_dir))
    if not (run.path / "summary.json").exists():
        raise FileNotFoundError(f"{run.path / 'summary.json'} not found: not a finished run")
    try:
        _check_summary(run.path, run.summary)
        for i, row in enumerate(run.metrics, start=1):
            if not _is_number(row.get("step")):
                raise DamagedRunError(f"{run.path / 'metrics.jsonl'}: row {i} has no number 'step'")
        run.cfg, run.overrides, run.choices  # noqa: B018 - parse the .hydra files now
    except RunFileError as err:  # names the file (and line) already
        raise DamagedRunError(str(err)) from None
    except (ValueError, OSError, yaml.YAMLError, OmegaConfBaseException) as err:
        raise DamagedRunError(f"{run.path / '.hydra'}: unreadable ({err})") from None
    return run


def run_value(run: RunDir, key: str) -> str | None:
    """A run's value for a ``--group-by`` key: the config's (a config group gives its
    ``name``), else the overrides', else Hydra's group choice, else the summary's; None when
    none has it."""
    value = select(run.cfg, key, None)
    if isinstance(value, DictConfig):
        value = value.get("name")
    if value is None or isinstance(value, ListConfig):
        value = run.overrides.get(key, run.choices.get(key, run.summary.get(key)))
    if value is None and key == "trainer.method":
        # the trainer's label lives on its class (summary.json's "method") since configs
        # stopped repeating it; older runs still have it in the config
        value = run.summary.get("method")
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def default_label_parts(run: RunDir) -> list[str]:
    """``method`` and ``mixer`` of a run's default row label. Variants that change what is
    trained get their own row: Dr. GRPO (``trainer.loss_type=dr_grpo``) is ``dr_grpo``, and
    the mixer carries ``+gdpo`` (``balancer.normalize=gdpo``) and ``+cond`` (conditioned
    rewards), e.g. ``grpo/average+gdpo``."""
    method = run.method
    if method == "grpo" and run_value(run, "trainer.loss_type") == "dr_grpo":
        method = "dr_grpo"
    mixer = run_value(run, "balancer.name") or "?"
    if run_value(run, "balancer.normalize") == "gdpo":
        mixer += "+gdpo"
    if select(run.cfg, "balancer.conditions", None):
        mixer += "+cond"
    return [method, mixer]


def _group_by_parts(
    runs: Sequence[RunDir], first_parts: Callable[[RunDir], list[str]]
) -> dict[str, list[RunDir]]:
    """Runs by label ``first_parts(run)`` joined by ``/``, plus the model (last path part of
    ``model.name_or_path``) and the exp when the runs span several; labels sorted."""
    several_models = len({r.model for r in runs}) > 1
    several_exps = len({r.exp for r in runs}) > 1
    groups: dict[str, list[RunDir]] = defaultdict(list)
    for run in runs:
        parts = list(first_parts(run))
        if several_models:
            parts.append(Path(run.model).name or run.model)
        if several_exps:
            parts.append(run.exp)
        groups["/".join(parts)].append(run)
    return dict(sorted(groups.items()))


def group_runs(
    runs: Sequence[RunDir], group_by: Sequence[str] | None = None
) -> dict[str, list[RunDir]]:
    """Runs by row label: the ``group_by`` values joined by ``/``; by default
    ``trainer.method/balancer.name`` plus model and exp when the runs span several.

    Returns:
        {label: runs}, labels sorted.
    """
    if not group_by:
        return _group_by_parts(runs, default_label_parts)
    groups: dict[str, list[RunDir]] = defaultdict(list)
    missing: dict[str, int] = defaultdict(int)
    for run in runs:
        parts = []
        for key in group_by:
            value = run_value(run, key)
            if value is None:
                missing[key] += 1
            parts.append("?" if value is None else value)
        groups["/".join(parts)].append(run)
    for key, count in missing.items():
        log.warning("--group-by %s: no value in %d of %d runs (shown as ?)", key, count, len(runs))
    return dict(sorted(groups.items()))


def zero_shot_groups(runs: Sequence[RunDir]) -> dict[str, list[RunDir]]:
    """Runs with ``eval.before`` scores by (model, exp): label ``zero-shot``, or
    ``zero-shot/<model>/<exp>`` (only the parts that vary) when there are several."""
    with_before = [r for r in runs if r.scores("before")]
    return _group_by_parts(with_before, lambda run: [ZERO_SHOT])
