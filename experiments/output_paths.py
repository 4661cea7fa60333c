"""Refusing an output path that would overwrite an input: ``--out data.jsonl`` once replaced
the benchmark file it had just scored. Checked before any work, so nothing is lost."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


class OutputOverInputError(ValueError):
    """An output flag resolves to an input (or into an input folder), or two outputs to one
    file; the message names both flags and the resolved path."""


def _real(path: str | Path) -> Path:
    """The path with ``~`` expanded and every symlink resolved (also for a file not there
    yet: its existing parents are resolved)."""
    return Path(path).expanduser().resolve()


def _same_file(a: Path, b: Path) -> bool:
    """Same resolved path, or two names (hard links) of one existing file."""
    if a == b:
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def model_folders(model: str | None) -> list[Path]:
    """The folders under ``--model`` that loading the model reads: a run directory's
    ``final_model/`` and ``checkpoints/`` (its other files, where a user may well put
    ``--out RUN/scores.json``, stay writable), else the model or adapter folder itself; []
    for a hub id or ``default``."""
    if model is None or not Path(model).is_dir():
        return []
    folder = Path(model)
    run_parts = [folder / "final_model", folder / "checkpoints"]
    if (folder / ".hydra").is_dir() or any(p.is_dir() for p in run_parts):
        return [p for p in run_parts if p.exists()]
    return [folder]


def refuse_outputs_over_inputs(
    inputs: Mapping[str, str | Path | None],
    outputs: Mapping[str, str | Path | None],
    input_folders: Mapping[str, list[Path]] | None = None,
) -> None:
    """Raise when an output would overwrite an input or another output.

    Args:
        inputs: {flag: path} of the files read (None: not given; a path not there is
            skipped: its reader reports it).
        outputs: {flag: path} of what is written (None: not given).
        input_folders: {flag: folders} whose content is read (a model): no output inside.

    Raises:
        OutputOverInputError: naming the output flag, the input flag and the resolved path.
    """
    given_inputs = {
        flag: _real(p) for flag, p in inputs.items() if p is not None and Path(p).exists()
    }
    given_outputs = {flag: _real(p) for flag, p in outputs.items() if p is not None}
    for out_flag, out in given_outputs.items():
        for in_flag, src in given_inputs.items():
            if _same_file(out, src):
                raise OutputOverInputError(
                    f"{out_flag} {outputs[out_flag]} is the input {in_flag} {inputs[in_flag]} "
                    f"({src}): writing it would replace what is read; give another path"
                )
        for in_flag, folders in (input_folders or {}).items():
            for folder in map(_real, folders):
                if out.is_relative_to(folder):
                    raise OutputOverInputError(
                        f"{out_flag} {outputs[out_flag]} lies in {folder}, which {in_flag} "
                        "loads the model from; write it elsewhere"
                    )
    flags = list(given_outputs)
    for i, a in enumerate(flags):
        for b in flags[i + 1 :]:
            if _same_file(given_outputs[a], given_outputs[b]):
                raise OutputOverInputError(
                    f"{a} and {b} are one file ({given_outputs[a]}): the second write would "
                    "replace the first; give two paths"
                )
