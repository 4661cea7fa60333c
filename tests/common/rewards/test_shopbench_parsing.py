"""Official ShopBench output parsers (KDD Cup 2024 starter kit ``parsers.py`` at b77d6a8).

Each test names the official rule it checks (restated in shared/data/README.md).
"""

from __future__ import annotations

import pytest

from common.rewards.shopbench_parsing import (
    MAX_OUTPUT_CHARS,
    clean_output,
    int_pieces,
    parse_multiple_choice,
    parse_ner,
    parse_ranking,
    parse_retrieval,
)

JUNK = [None, "", "   \n\t", 42, ["3"]]


def test_official_truncation_to_5000_characters_before_parsing():
    # Rule: every response is cut to its first 5000 characters (MAX_RESPONSE_CHARACTERS).
    assert MAX_OUTPUT_CHARS == 5000
    assert clean_output("\n  3. foo \n") == "3. foo"
    assert clean_output("x" * 6000) == "x" * 5000
    assert clean_output(" " * 5000 + "3") is None  # the 3 lies past the cut
    for junk in JUNK:
        assert clean_output(junk) is None
    # a list whose later items lie past the cut loses them
    assert parse_retrieval(" " * 4998 + "1, 2, 3")[0] == [1]


@pytest.mark.parametrize(
    "output, expected",
    [
        # Rule: strip the output, its first character as an int; anything else is -1.
        ("3", (3, False)),
        ("\n3", (3, False)),
        ("  2. Because it fits", (2, False)),
        ("10", (1, False)),  # only the first character counts
        ("B", (-1, True)),
        ("Answer: 3", (-1, True)),
        ("-1", (-1, True)),
        ("²", (-1, True)),  # numeric but int() refuses it
        ("3" * 20_000, (3, False)),  # long: cut to 5000, still "3" first
    ],
)
def test_multiple_choice_first_character(output, expected):
    assert parse_multiple_choice(output) == expected


@pytest.mark.parametrize("junk", JUNK)
def test_multiple_choice_junk(junk):
    assert parse_multiple_choice(junk) == (-1, True)


@pytest.mark.parametrize(
    "text, expected",
    [
        # Rule: keep numeric chars, commas and spaces; split on commas; int() each piece and
        # SKIP the pieces that fail instead of failing the list.
        ("1. Lamp, 4", [1, 4]),  # README: cleans to "1 , 4"
        ("1. Lamp 2, 4", [4]),  # README: cleans to "1  2, 4"; "1  2" is skipped
        ("1. Multi-Plug-Outlet Extender with USB, TESS", [1]),  # the numbered title
        ("1,,2", [1, 2]),  # an empty piece is skipped
        ("1 2 3", []),  # one piece, not an int
        ("none of them", []),
        ("[4, 2, 9, 1]", [4, 2, 9, 1]),
        ("1², 3", [3]),  # "²" is numeric, kept, and int("1²") fails: skipped
        ("a 7 b, c 8", [7, 8]),  # int() accepts surrounding spaces
    ],
)
def test_int_pieces_skip_failing_pieces(text, expected):
    assert int_pieces(text) == expected


@pytest.mark.parametrize(
    "output, expected",
    [
        # Rule: the per-piece int list, first 3.
        ("[4, 2, 9, 1]", ([4, 2, 9], False)),
        ("\n1,2", ([1, 2], False)),
        ("items: 3, 5", ([3, 5], False)),
        ("7", ([7], False)),
        ("1 2 3", ([], True)),
        ("[1, a, 3]", ([1, 3], False)),  # the " " piece is skipped
        ("1. Cable\n2. Lamp\n3. Plug", ([], True)),  # one piece "1 2 3" -> skipped
        ("1. Cable, 2. Lamp, 3. Plug, 4. Fan", ([1, 2, 3], False)),
    ],
)
def test_retrieval(output, expected):
    assert parse_retrieval(output) == expected


@pytest.mark.parametrize("junk", JUNK)
def test_retrieval_junk(junk):
    assert parse_retrieval(junk) == ([], True)


@pytest.mark.parametrize(
    "output, expected",
    [
        # Rule: per-piece ints, only those <= 5, the first 5; any duplicate -> empty list.
        ("[3, 1, 2, 5, 4]", ([3, 1, 2, 5, 4], False)),
        ("\n1, 7, 2", ([1, 2], False)),  # 7 > 5 dropped
        ("5,4,3,2,1,0", ([5, 4, 3, 2, 1], False)),  # first 5
        ("1, 2, 2, 3", ([], True)),  # duplicate -> empty
        ("[1, 1]", ([], True)),
        ("9, 8", ([], True)),  # nothing <= 5 left
        ("1 2 3", ([], True)),
        ("1, b, 2", ([1, 2], False)),  # " " skipped
        ("1, 4, 5, aicrowd, 6", ([1, 4, 5], False)),  # 6 > 5 dropped
        ("4, 3, 2, 1, 5, 4", ([4, 3, 2, 1, 5], False)),  # duplicate past the first 5: kept
        ("2, 9, 2", ([], True)),  # duplicate among the kept
    ],
)
def test_ranking(output, expected):
    assert parse_ranking(output) == expected


@pytest.mark.parametrize("junk", JUNK)
def test_ranking_junk(junk):
    assert parse_ranking(junk) == ([], True)


@pytest.mark.parametrize(
    "output, expected",
    [
        # Rule: a Python-literal list of strings is the entity list (lowercased and stripped
        # by the metric); otherwise split on commas, strip, drop empty pieces.
        ("['Cadbury', 'Milk Chocolate']", (["cadbury", "milk chocolate"], False)),
        ('\n["Nestle"]', (["nestle"], False)),
        ("[' Padded ', 'X']", (["padded", "x"], False)),  # the metric strips predictions
        ("('a', 'B')", (["('a'", "'b')"], False)),  # a tuple is not a list: comma split
        ("[]", ([], False)),  # a valid "no entities" answer
        ("Cadbury, Milk ,  ,", (["cadbury", "milk"], False)),  # empties dropped
        ("\n, New York, ShopBench", (["new york", "shopbench"], False)),  # official example
        ("[New York, ShopBench]", (["[new york", "shopbench]"], False)),  # official example
        ("[1, 2]", (["[1", "2]"], False)),  # literal but not strings -> comma split
        ("['unterminated, x", (["['unterminated", "x"], False)),
        ("'just one'", (["'just one'"], False)),  # a literal str is not a list
        ("\n ['a']", (["['a']"], False)),  # literal_eval of the unstripped text fails
    ],
)
def test_ner(output, expected):
    assert parse_ner(output) == expected


@pytest.mark.parametrize("junk", [*JUNK, " , ,, "])
def test_ner_junk_is_an_empty_prediction(junk):
    # Rule (official fallback, empties dropped): an empty output predicts no entity.
    assert parse_ner(junk) == ([], True)


def test_ner_survives_pathological_literals():
    # Deep nesting makes ast.literal_eval raise RecursionError/MemoryError; must not escape.
    value, failed = parse_ner("[" * 10_000)
    assert value == ["[" * 5000] and not failed
