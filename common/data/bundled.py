"""Paths of the data shipped inside the package: the small project-written samples
(``common/data/samples``) and the real benchmark files whose licences let the project
redistribute them (``common/data/corpora/<name>/``, each with its LICENSE and SOURCE.md)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SAMPLES_PACKAGE = "common.data"
SAMPLES_DIR = "samples"
SAMPLE_SUFFIXES = (".jsonl", ".json", ".txt")
CORPORA_DIR = "corpora"
# name -> file under common/data/corpora (gzip-compressed; the loaders read .gz directly)
CORPORA = {
    "gsm8k_train": "gsm8k/train.jsonl.gz",
    "gsm8k_test": "gsm8k/test.jsonl.gz",
    "ifeval": "ifeval/input_data.jsonl.gz",
}


def bundled_path(name: str) -> Path:
    """Path of a bundled sample by stem (``"shopping_sample"``) or file name, or of a bundled
    benchmark file by its :data:`CORPORA` name (``"gsm8k_train"``).

    Resolved through importlib.resources so it also works from an installed wheel.

    Raises:
        FileNotFoundError: no such sample; the message lists the available ones.
    """
    folder = _samples_dir()
    if name in CORPORA:
        corpus = folder.parent / CORPORA_DIR / CORPORA[name]
        if corpus.is_file():
            return corpus
    candidates = [folder / name] + [folder / f"{name}{suffix}" for suffix in SAMPLE_SUFFIXES]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no bundled sample {name!r} in {folder}; available: {', '.join(available_samples())}"
    )


def available_samples() -> list[str]:
    """Stems of the bundled sample files and names of the bundled benchmark files."""
    folder = _samples_dir()
    stems = [p.stem for p in folder.iterdir() if p.suffix in SAMPLE_SUFFIXES]
    return sorted(stems + list(CORPORA))


def samples_dir() -> Path:
    """The folder the bundled samples live in (``make_samples`` writes here)."""
    return _samples_dir()


def _samples_dir() -> Path:
    root = resources.files(SAMPLES_PACKAGE) / SAMPLES_DIR
    # Installed as a plain directory (editable or wheel unpacked by pip) this is already a
    # filesystem path; zipped installs are not supported by the trainer anyway.
    return Path(str(root))
