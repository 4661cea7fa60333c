"""ShopBench structured metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from common.rewards.registry import build_scorer
from common.rewards.shopbench_metrics import NERF1, ndcg

JUNK_OUTPUTS = [None, "", "  \n ", "x" * 100_000, "\x00\uffff", "[[[[" * 4000, 123]


def run(name, outputs, golds):
    scorer = build_scorer(name)
    return scorer([""] * len(outputs), outputs, golds)


def test_mc_accuracy():
    out = run("mc_accuracy", ["3", "\n3", " 2", "C", "", None, "3" * 20_000], [3] * 7)
    # "3" and "\n3" match; " 2" parses but is wrong; "C", "" and None fail to parse; a huge
    # output is cut to its first 5000 characters (official), which still start with "3".
    np.testing.assert_array_equal(out.scores, [1, 1, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(out.parse_failed, [0, 0, 0, 1, 1, 1, 0])
    assert out.name == "mc_accuracy"


def test_hit_at_3():
    out = run(
        "hit_at_3",
        ["[4, 9, 1, 2]", "4", "1 2 3", "[8, 2, 10]", "1. Outlet Extender with USB, TESS", "4"],
        [[4, 2, 9], [4], [1, 2, 3], [8, 2, 10], [1, 3], [4, 4]],
    )
    # Rule: |set(gold) ∩ set(top3)| / len(gold).
    # top3 [4, 9, 1] ∩ {4, 2, 9} = {4, 9} -> 2/3; {4} -> 1/1; unparseable -> 0; exact -> 3/3;
    # the numbered title parses to [1] (the piece " " is skipped) -> 1/2;
    # a repeated gold index counts in len(gold): {4} ∩ {4} / 2 -> 1/2.
    np.testing.assert_allclose(out.scores, [2 / 3, 1.0, 0.0, 1.0, 0.5, 0.5])
    np.testing.assert_array_equal(out.parse_failed, [0, 0, 1, 0, 0, 0])


def gain(rel):
    return 2.0**rel - 1.0


def test_ndcg_hand_computed():
    weights = [1, 0.01, 0.1, 1, 0]
    # ranking 5,2,3,4,1 -> relevances 0, .01, .1, 1, 1 at positions 1..5 (discount log2(i+1))
    dcg = (
        gain(0) / math.log2(2)
        + gain(0.01) / math.log2(3)
        + gain(0.1) / math.log2(4)
        + gain(1) / math.log2(5)
        + gain(1) / math.log2(6)
    )  # = 0 + .004388 + .035887 + .430677 + .386853 = 0.857805
    ideal = (
        gain(1) / math.log2(2)
        + gain(1) / math.log2(3)
        + gain(0.1) / math.log2(4)
        + gain(0.01) / math.log2(5)
        + gain(0) / math.log2(6)
    )  # = 1 + .630930 + .035887 + .002995 + 0 = 1.669812
    assert ndcg([5, 2, 3, 4, 1], weights) == pytest.approx(dcg / ideal)
    assert dcg / ideal == pytest.approx(0.513713, abs=1e-6)
    # Ties: 1 and 4 both weigh 1, either order is ideal.
    assert ndcg([1, 4, 3, 2, 5], weights) == pytest.approx(1.0)
    assert ndcg([4, 1, 3, 2, 5], weights) == pytest.approx(1.0)


def test_ndcg_index_past_list_and_zero_ideal():
    # gold length 3: candidate 5 does not exist -> gain 0; candidate 3 (weight 1) at position
    # 2 -> 1 / log2(3) = 0.630930; ideal puts weight 1 first -> 1.
    assert ndcg([5, 3, 1], [0, 0, 1]) == pytest.approx(1 / math.log2(3))
    # Rule: relevance = weights[index - 1] when index - 1 < len(weights): index 0 wraps to
    # the last weight, as the official lookup does. [0, 1] on [0, 1]: position 1 gains
    # weights[-1] = 1 -> DCG 1 = ideal.
    assert ndcg([0, 1], [0, 1]) == pytest.approx(1.0)
    assert ndcg([0], [1, 0]) == pytest.approx(0.0)
    # All weights 0 -> ideal DCG 0 -> NDCG 0, not a division error.
    assert ndcg([1, 2, 3, 4, 5], [0, 0, 0, 0, 0]) == 0.0
    # The ranking is cut to the gold length: [2, 1, 3] -> [2, 1] on a 2-candidate gold.
    assert ndcg([2, 1, 3], [0, 1]) == pytest.approx(1.0)


def test_ndcg_scorer_parses_and_flags():
    gold = [1, 0.01, 0.1, 1, 0]
    out = run(
        "ndcg",
        ["[1, 4, 3, 2, 5]", "\n5, 2, 3, 4, 1", "1, 1, 2, 3, 4", "a, b", "1,4,3,2,5", "", "1. x, 4"],
        [gold, gold, gold, gold, [0, 0, 0, 0, 0], gold, gold],
    )
    # "1. x, 4" -> [1, 4] (per-piece skipping): DCG = 1 + 1/log2(3) = 1.630930 over the ideal
    # of all five weights 1.669812 -> 0.976715.
    np.testing.assert_allclose(out.scores, [1.0, 0.513713, 0, 0, 0, 0, 0.976715], atol=1e-6)
    # duplicates and no numbers are parse failures; an all-zero gold is not
    np.testing.assert_array_equal(out.parse_failed, [0, 0, 1, 1, 0, 1, 0])


def test_ner_f1_counts_and_micro_aggregation():
    scorer = build_scorer("ner_f1")
    assert isinstance(scorer, NERF1) and scorer.aggregation == "micro_f1"
    out = scorer(
        ["", "", "", ""],
        ["['Cadbury', 'dark']", "Cadbury, Milk", "", "cadbury, cadbury"],
        [["cadbury", "milk"], ["cadbury", "milk"], ["nestle"], ["Cadbury", "milk"]],
    )
    # row 0: {cadbury, dark} vs {cadbury, milk}: tp 1, fp 1, fn 1 -> F1 0.5
    # row 1: exact: tp 2, fp 0, fn 0 -> 1
    # row 2: empty output: tp 0, fp 0, fn 1 -> 0 (parse failed)
    # row 3: a repeated entity is a false positive: tp 1, fp 2-1=1, fn 2-1=1 -> 0.5
    np.testing.assert_array_equal(out.counts["tp"], [1, 2, 0, 1])
    np.testing.assert_array_equal(out.counts["fp"], [1, 0, 0, 1])
    np.testing.assert_array_equal(out.counts["fn"], [1, 0, 1, 1])
    np.testing.assert_allclose(out.scores, [0.5, 1.0, 0.0, 0.5])
    np.testing.assert_array_equal(out.parse_failed, [0, 0, 1, 0])
    # micro: tp 4, fp 2, fn 3 -> P 4/6, R 4/7 -> F1 = 2PR/(P+R) = 8/13 = 0.615385
    # (the mean of per-row F1s would be 0.5)
    assert scorer.aggregate(out) == pytest.approx(8 / 13)


def test_ner_f1_literal_empty_list_is_valid():
    out = run("ner_f1", ["[]"], [["mens"]])
    assert out.scores[0] == 0.0 and not out.parse_failed[0]
    assert out.counts["fn"][0] == 1


@pytest.mark.parametrize(
    "name, gold",
    [("mc_accuracy", 2), ("hit_at_3", [1, 2, 3]), ("ndcg", [1, 0, 0]), ("ner_f1", ["a"])],
)
def test_junk_outputs_score_zero_and_never_raise(name, gold):
    out = run(name, JUNK_OUTPUTS, [gold] * len(JUNK_OUTPUTS))
    assert out.scores.shape == (len(JUNK_OUTPUTS),)
    # None, "", whitespace, "x" * 100_000 (cut to 5000 x's: nothing to parse) and 123.
    np.testing.assert_array_equal(out.scores[[0, 1, 2, 3, 6]], 0.0)
    assert out.parse_failed[[0, 1, 2, 6]].all()
    assert ((out.scores >= 0) & (out.scores <= 1)).all()


def test_empty_batch():
    for name in ("mc_accuracy", "hit_at_3", "ndcg", "ner_f1"):
        out = run(name, [], [])
        assert len(out) == 0 and out.mean == 0.0


def test_bad_gold_is_a_loud_error():
    with pytest.raises(ValueError, match="gold must be a list"):
        run("hit_at_3", ["1"], [1])
