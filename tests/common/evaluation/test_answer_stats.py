"""Answer length and repetition (common/evaluation/answer_stats.py), hand-computed."""

from __future__ import annotations

import pytest

from common.evaluation.answer_stats import answer_stats, distinct_ngrams, looping_warning


def test_distinct_ngrams_by_hand():
    assert distinct_ngrams("a b c a b c") == 0.75  # abc, bca, cab, abc
    # 9 words, 7 trigrams, 3 distinct: the loop the LoRA lr 2e-3 run produced
    assert distinct_ngrams("the art of the art of the art of") == pytest.approx(3 / 7)
    assert distinct_ngrams("an answer with no repeated phrase at all") == 1.0
    assert distinct_ngrams("two words") == 1.0 and distinct_ngrams("") == 1.0
    assert distinct_ngrams("a a a a", n=1) == 0.25


def test_answer_stats_and_the_warning():
    loop = "the art of the art of the art of"  # 3/7 < 0.5
    fine = "a fluent answer about air fryers"  # 6 words, all distinct
    stats = answer_stats([loop, fine, None, fine])
    assert stats["n"] == 4
    assert stats["words"] == pytest.approx((9 + 6 + 0 + 6) / 4, abs=0.05)
    assert stats["distinct3"] == pytest.approx((3 / 7 + 1 + 1 + 1) / 4, abs=5e-4)
    assert stats["looping"] == 0.25
    warning = looping_warning(stats)
    assert warning is not None and "25 % of the answers" in warning
    assert looping_warning(answer_stats([fine, fine, fine, loop]), share=0.5) is None
    assert answer_stats([]) == {"n": 0, "words": 0.0, "distinct3": 0.0, "looping": 0.0}
    assert looping_warning(answer_stats([])) is None
