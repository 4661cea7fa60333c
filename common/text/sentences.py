"""Sentence splitting exactly as NLTK's ``sent_tokenize`` (Punkt, English), offline.

The official ALCE ``eval.py`` and IFEval's checkers split with ``nltk.sent_tokenize``; other
splitters differ after "No. 1", "e.g.", "…" and so on, which changes citation and length
scores. NLTK 3.9+ reads the English Punkt model from ``tokenizers/punkt_tab/english/`` on
``nltk.data.path``, and ``nltk.download`` cannot reach the network on the machines this project
targets, so those four files ship with the project (``common/data/nltk_data``, Apache-2.0,
rebuilt by ``tools/build_punkt_data.py``; see the README there). :func:`ensure_punkt` puts that
folder on ``nltk.data.path``.

Fallback: if NLTK cannot load the model even so (a broken install), :func:`split_sentences`
uses ``nupunkt`` and warns once; its splits are close to but not the same as NLTK's, so numbers
computed that way are not comparable with the official evaluators.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import nltk

NLTK_DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "nltk_data"
PUNKT_ENGLISH_DIR = NLTK_DATA_DIR / "tokenizers" / "punkt_tab" / "english"


def ensure_punkt() -> bool:
    """Make ``nltk.sent_tokenize`` find the bundled English Punkt model; True when it loads.

    The bundled folder is appended to ``nltk.data.path`` (a user's own ``NLTK_DATA`` stays
    first, so a full NLTK data install wins, and it holds the same English tables).
    """
    folder = str(NLTK_DATA_DIR)
    if folder not in nltk.data.path:
        nltk.data.path.append(folder)
    return _punkt_loads()


@functools.lru_cache(maxsize=1)
def _punkt_loads() -> bool:
    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
        nltk.sent_tokenize("Probe. Sentence.")
    except LookupError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _warn_fallback() -> None:
    warnings.warn(
        "NLTK's Punkt English model could not be loaded from the bundled data "
        f"({PUNKT_ENGLISH_DIR}); splitting sentences with nupunkt, which differs from NLTK "
        "(scores are not comparable with the official evaluators)",
        RuntimeWarning,
        stacklevel=3,
    )


def split_sentences(text: str) -> list[str]:
    """``nltk.sent_tokenize(text)`` (English Punkt); nupunkt only if NLTK's data is unusable.

    Returns the sentences in order, exactly as NLTK gives them (no stripping or filtering, so
    callers apply the same post-processing as the official code they mirror).
    """
    if ensure_punkt():
        return nltk.sent_tokenize(text)
    _warn_fallback()
    import nupunkt

    return list(nupunkt.sent_tokenize(text))
