"""math_exact: extraction order, normalization, gold formats, malformed outputs."""

from __future__ import annotations

import pytest

from common.rewards.math_answer import MathExact, extract_answer, gold_number, to_number
from common.rewards.registry import build_scorer


@pytest.mark.parametrize(
    "output, expected",
    [
        ("48 / 2 = 24 clips in May.\n#### 72", 72.0),  # '####' wins over the last number
        ("So 3 + 4.\n#### 1,234 and 9", 1234.0),  # thousands comma dropped
        ("Final answer: $1,234.50.", 1234.5),  # $ , and trailing period dropped
        ("The final answer is **-7**", -7.0),
        ("We get 5. The answer is 12%.", 12.0),  # % dropped
        ("The answer is: 42 apples and 3 pears", 42.0),  # first number after the phrase
        ("\\boxed{3/4} then 9", 0.75),  # fraction
        ("I had 10-3 = 7 left, then ate 4", 4.0),  # last number; '-3' is not negative
        ("x is -5", -5.0),
    ],
)
def test_extract_answer(output, expected):
    assert extract_answer(output) == pytest.approx(expected)


def test_to_number_rejects_words():
    assert to_number("abc") is None and to_number("1/0") is None


@pytest.mark.parametrize(
    "gold, expected",
    [
        (72, 72.0),
        (2.5, 2.5),
        ("#### 1,000", 1000.0),
        ("She has 3.\n#### 18", 18.0),
        ("42", 42.0),
        ({"answer": "#### 5"}, 5.0),
    ],
)
def test_gold_formats(gold, expected):
    assert gold_number(gold) == expected


def test_scores_and_parse_failures():
    scorer = build_scorer("math_exact")
    assert isinstance(scorer, MathExact)
    outputs = [
        "#### 72",
        "The answer is 72.0000001",
        "#### 71",
        None,
        "",
        "no digits here",
        "blah " * 5000 + "72",
    ]
    res = scorer(["q"] * 7, outputs, [72] * 7)
    # 72 == 72; |72.0000001 - 72| = 1e-7 <= 1e-6; 71 != 72; three unparseable; long text ok
    assert res.scores.tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    assert res.parse_failed.tolist() == [False, False, False, True, True, True, False]


def test_bad_gold_raises():
    with pytest.raises(ValueError, match="gold"):
        MathExact()(["q"], ["#### 1"], ["seventy-two"])
