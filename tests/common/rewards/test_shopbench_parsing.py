"""Official ShopBench output parsers: every edge case the challenge's scorer meets."""

from __future__ import annotations

import pytest

from common.rewards.shopbench_parsing import (
    MAX_OUTPUT_CHARS,
    clean_output,
    parse_multiple_choice,
    parse_ner,
    parse_ranking,
    parse_retrieval,
)

JUNK = [None, "", "   \n\t", 42, ["3"], "x" * (MAX_OUTPUT_CHARS + 1)]


def test_clean_output_strips_and_refuses_junk():
    assert clean_output("\n  3. foo \n") == "3. foo"
    for junk in JUNK:
        assert clean_output(junk) is None
    assert clean_output("abc", max_chars=2) is None


@pytest.mark.parametrize(
    "output, expected",
    [
        ("3", (3, False)),
        ("\n3", (3, False)),  # leading newline: stripped first
        ("  2. Because it fits", (2, False)),
        ("10", (1, False)),  # only the first character counts
        ("B", (-1, True)),
        ("Answer: 3", (-1, True)),  # first character 'A'
        ("-1", (-1, True)),  # '-' is not an int
    ],
)
def test_multiple_choice(output, expected):
    assert parse_multiple_choice(output) == expected


@pytest.mark.parametrize("junk", JUNK)
def test_multiple_choice_junk(junk):
    assert parse_multiple_choice(junk) == (-1, True)


@pytest.mark.parametrize(
    "output, expected",
    [
        ("[4, 2, 9, 1]", ([4, 2, 9], False)),  # brackets dropped, first 3 kept
        ("\n1,2", ([1, 2], False)),
        ("items: 3, 5", ([3, 5], False)),  # letters and ':' dropped -> " 3, 5"
        ("7", ([7], False)),
        # Official: one piece that is not an int fails the whole list.
        ("1 2 3", ([], True)),  # int("1 2 3") fails
        ("[1, a, 3]", ([], True)),  # non-numeric token -> piece " " -> int fails
        ("1,,2", ([], True)),  # empty piece
        ("none of them", ([], True)),  # nothing kept -> int("") fails
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
        ("[3, 1, 2, 5, 4]", ([3, 1, 2, 5, 4], False)),
        ("\n1, 7, 2", ([1, 2], False)),  # 7 > 5 dropped
        ("5,4,3,2,1,0", ([5, 4, 3, 2, 1], False)),  # first 5
        ("1, 2, 2, 3", ([], True)),  # duplicate -> empty
        ("[1, 1]", ([], True)),
        ("9, 8", ([], True)),  # nothing <= 5 left
        ("1 2 3", ([], True)),
        ("1, b, 2", ([], True)),
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
        ("['Cadbury', 'Milk Chocolate']", (["cadbury", "milk chocolate"], False)),  # literal
        ('\n["Nestle"]', (["nestle"], False)),
        ("('a', 'B')", (["a", "b"], False)),  # a literal tuple is a list of strings too
        ("[]", ([], False)),  # a valid "no entities" answer
        ("Cadbury, Milk ,  ,", (["cadbury", "milk"], False)),  # split, strip, drop empties
        ("[1, 2]", (["[1", "2]"], False)),  # literal but not strings -> comma split
        ("['unterminated, x", (["['unterminated", "x"], False)),
        ("'just one'", (["'just one'"], False)),  # a literal str is not a list
    ],
)
def test_ner(output, expected):
    assert parse_ner(output) == expected


@pytest.mark.parametrize("junk", [*JUNK, " , ,, "])
def test_ner_junk(junk):
    assert parse_ner(junk) == ([], True)


def test_ner_survives_pathological_literals():
    # Deep nesting makes ast.literal_eval raise RecursionError/MemoryError; must not escape.
    value, failed = parse_ner("[" * 10_000)
    assert value == ["[" * 10_000] and not failed
