"""Paths of the small sample files shipped inside the package (``common/data/samples``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SAMPLES_PACKAGE = "common.data"
SAMPLES_DIR = "samples"
SAMPLE_SUFFIXES = (".jsonl", ".json", ".txt")


def bundled_path(name: str) -> Path:
    """Path of a bundled sample by stem (``"shopping_sample"``) or file name.

    Resolved through importlib.resources so it also works from an installed wheel.

    Raises:
        FileNotFoundError: no such sample; the message lists the available ones.
    """
    folder = _samples_dir()
    candidates = [folder / name] + [folder / f"{name}{suffix}" for suffix in SAMPLE_SUFFIXES]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no bundled sample {name!r} in {folder}; available: {', '.join(available_samples())}"
    )


def available_samples() -> list[str]:
    """Stems of the bundled sample files."""
    folder = _samples_dir()
    return sorted(p.stem for p in folder.iterdir() if p.suffix in SAMPLE_SUFFIXES)


def samples_dir() -> Path:
    """The folder the bundled samples live in (``make_samples`` writes here)."""
    return _samples_dir()


def _samples_dir() -> Path:
    root = resources.files(SAMPLES_PACKAGE) / SAMPLES_DIR
    # Installed as a plain directory (editable or wheel unpacked by pip) this is already a
    # filesystem path; zipped installs are not supported by the trainer anyway.
    return Path(str(root))
