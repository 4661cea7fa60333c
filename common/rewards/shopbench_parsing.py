"""Parsers that turn a model's raw text into the value a ShopBench metric compares.

They follow the official challenge evaluator: the Amazon KDD Cup 2024 starter kit's
``parsers.py`` at commit b77d6a8 (the commit that published ``data/development.json``; the
parsers are unchanged to the kit's last commit). Rules, restated (shared/data/README.md):

- every output is cut to its first :data:`MAX_OUTPUT_CHARS` (5000) characters first;
- multiple choice: strip, the first character as an int, anything else -1;
- retrieval / ranking: keep numeric characters (``str.isnumeric``), commas and spaces, split
  on commas, ``int()`` each piece and SKIP the pieces that fail (``"1. Lamp, 4"`` -> ``[1, 4]``);
  retrieval keeps the first 3; ranking keeps ints <= 5, the first 5, and empties the list on
  any duplicate;
- NER: ``ast.literal_eval`` of the cut, unstripped text when it is a list of strings, else the
  comma pieces, stripped, empty pieces dropped (see :data:`NER_DROP_EMPTY_PIECES`).

Every parser is total: it never raises, and returns ``(value, parse_failed)``; a failed parse
carries the value the official scorer uses (-1 or an empty list), which then scores 0. The
flag is a diagnostic only: it never changes a score.
"""

from __future__ import annotations

import ast
from typing import Any

# Official MAX_RESPONSE_CHARACTERS: outputs are truncated to it before parsing. It also keeps
# every metric O(1)-ish per sample (ast.literal_eval and ROUGE-L's LCS are superlinear).
MAX_OUTPUT_CHARS = 5000

MC_INVALID = -1
RETRIEVAL_TOP_K = 3
RANKING_MAX_INDEX = 5
RANKING_TOP_K = 5
# The starter kit's NER fallback drops empty comma pieces since its commit c5ec7c3
# (2024-03-24, "we remove empty entities ... an implementation choice"), which predates the
# dev file's commit b77d6a8 (2024-03-26). Its first parser (3ef95c8, 2024-03-18) kept them,
# which made an empty output one false positive. False reproduces that older version.
NER_DROP_EMPTY_PIECES = True


def truncate_output(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> str | None:
    """The first ``max_chars`` characters of ``output`` (official), or None when it is not a
    string (the official parser asserts a string; here it scores 0)."""
    if not isinstance(output, str):
        return None
    return output[:max_chars]


def clean_output(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> str | None:
    """The output cut to ``max_chars`` then stripped (the official generation parse), or None
    when there is nothing scorable (not a string, or empty after stripping)."""
    text = truncate_output(output, max_chars)
    if text is None:
        return None
    text = text.strip()
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


def int_pieces(text: str) -> list[int]:
    """Official list parse: keep numeric characters, commas and spaces; split on commas;
    ``int()`` each piece, skipping the pieces that are not ints.

    ``"1. Lamp, 4"`` cleans to ``"1 , 4"`` -> ``[1, 4]``; ``"1. Lamp 2, 4"`` cleans to
    ``"1  2, 4"``, whose piece ``"1  2"`` is skipped -> ``[4]``; ``"1,,2"`` -> ``[1, 2]``.
    ``str.isnumeric`` (not ``isdecimal``) is the official filter, so ``"²"`` or ``"一"`` stay in a
    piece and make ``int()`` fail it.
    """
    kept = "".join(c for c in text if c.isnumeric() or c in ", ")
    values = []
    for piece in kept.split(","):
        try:
            values.append(int(piece))
        except ValueError:
            continue
    return values


def parse_retrieval(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> tuple[list[int], bool]:
    """The first 3 ints of the official list parse (``"[4, 2, 9, 1]"`` -> ``[4, 2, 9]``)."""
    text = truncate_output(output, max_chars)
    values = int_pieces(text)[:RETRIEVAL_TOP_K] if text is not None else []
    return values, not values


def parse_ranking(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> tuple[list[int], bool]:
    """Ints <= 5 only, the first 5 of them; any duplicate among those makes the list empty."""
    text = truncate_output(output, max_chars)
    if text is None:
        return [], True
    ranking = [v for v in int_pieces(text) if v <= RANKING_MAX_INDEX][:RANKING_TOP_K]
    if len(set(ranking)) != len(ranking):
        return [], True
    return ranking, not ranking


def parse_ner(output: Any, max_chars: int = MAX_OUTPUT_CHARS) -> tuple[list[str], bool]:
    """Entities, lowercased and stripped (the official metric's normalization).

    ``ast.literal_eval`` of the cut (not stripped) output when it is a list of strings
    (``"['a', 'B']"``; a tuple does not count); otherwise the comma pieces, stripped, with
    empty pieces dropped (``"a, B,"`` -> ``["a", "b"]``, see :data:`NER_DROP_EMPTY_PIECES`).
    A literal ``"[]"`` is a valid answer (no entities), not a parse failure.
    """
    text = truncate_output(output, max_chars)
    if text is None:
        return [], True
    try:
        literal = ast.literal_eval(text)
    except Exception:  # SyntaxError, ValueError, RecursionError, MemoryError on junk input
        literal = None
    if isinstance(literal, list) and all(isinstance(x, str) for x in literal):
        return [x.lower().strip() for x in literal], False
    pieces = [piece.strip().lower() for piece in text.split(",")]
    if NER_DROP_EMPTY_PIECES:
        pieces = [p for p in pieces if p]
    return pieces, not any(pieces)
