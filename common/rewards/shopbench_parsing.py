"""Parsers that turn a model's raw text into the value a ShopBench metric compares.

They follow the official challenge semantics (shared/data/README.md). Every parser is total:
it never raises, and returns ``(value, parse_failed)`` where a failed parse carries the value
the official scorer would have used (-1 or an empty list), which then scores 0.
"""

from __future__ import annotations

import ast
from typing import Any

# Bigger outputs are degenerate generations; refusing them keeps every metric O(1)-ish per
# sample (ast.literal_eval and ROUGE-L's LCS are superlinear on long text).
MAX_OUTPUT_CHARS = 16_384

MC_INVALID = -1
RETRIEVAL_TOP_K = 3
RANKING_MAX_INDEX = 5
RANKING_TOP_K = 5


def clean_output(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> str | None:
    """The stripped output, or None when there is nothing scorable (None, not a string,
    empty after stripping, or longer than ``max_chars``)."""
    if not isinstance(output, str) or len(output) > max_chars:
        return None
    text = output.strip()
    return text or None


def parse_multiple_choice(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> tuple[int, bool]:
    """First character of the stripped output as an int, else -1 (e.g. ``"\\n3. foo"`` -> 3)."""
    text = clean_output(output, max_chars)
    if text is None:
        return MC_INVALID, True
    try:
        return int(text[0]), False
    except ValueError:
        return MC_INVALID, True


def _int_list(text: str) -> list[int] | None:
    """Official list cleaning: keep decimal digits, commas and spaces, split on commas, int()
    each piece. One piece that is not an int (``"1 2"``, ``""`` from ``"1,,2"``) fails the
    whole list, as in the official parser."""
    kept = "".join(c for c in text if c.isdecimal() or c in ", ")
    try:
        return [int(piece) for piece in kept.split(",")]
    except ValueError:
        return None


def parse_retrieval(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> tuple[list[int], bool]:
    """The first 3 ints of a comma-separated list (``"[4, 2, 9, 1]"`` -> ``[4, 2, 9]``)."""
    text = clean_output(output, max_chars)
    values = _int_list(text) if text is not None else None
    if not values:
        return [], True
    return values[:RETRIEVAL_TOP_K], False


def parse_ranking(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> tuple[list[int], bool]:
    """Ints <= 5 only, the first 5 of them; any duplicate makes the whole ranking empty."""
    text = clean_output(output, max_chars)
    values = _int_list(text) if text is not None else None
    if values is None:
        return [], True
    ranking = [v for v in values if v <= RANKING_MAX_INDEX][:RANKING_TOP_K]
    if not ranking or len(set(ranking)) != len(ranking):
        return [], True
    return ranking, False


def parse_ner(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> tuple[list[str], bool]:
    """Entities, lowercased: a Python-literal list of strings (``"['a', 'B']"``) if the output
    is one, else the comma-separated pieces, stripped, empties dropped (``"a, B,"``).

    A literal empty list ``"[]"`` is a valid answer (no entities), not a parse failure.
    """
    text = clean_output(output, max_chars)
    if text is None:
        return [], True
    try:
        literal = ast.literal_eval(text)
    except Exception:  # SyntaxError, ValueError, RecursionError, MemoryError on junk input
        literal = None
    if isinstance(literal, (list, tuple)) and all(isinstance(x, str) for x in literal):
        return [x.lower() for x in literal], False
    entities = [piece.strip().lower() for piece in text.split(",")]
    entities = [e for e in entities if e]
    return entities, not entities
