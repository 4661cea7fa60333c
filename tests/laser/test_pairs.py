"""Preference pairs and KTO labels from hand-built (G, n) score matrices."""

import numpy as np
import pytest

from laser.pairs import STRATEGIES, build_pairs, kto_examples, rank_responses


def test_rank_breaks_ties_by_lower_index():
    # scores 1, 3, 3, 0 -> best is the 3 at index 1 (lower index), then index 2
    assert rank_responses(np.array([1.0, 3.0, 3.0, 0.0])).tolist() == [1, 2, 0, 3]


def test_best_worst_pairs_kth_best_with_kth_worst():
    scores = np.array(
        [
            [0.1, 0.9, 0.5, 0.3, 0.7],  # ranking 1, 4, 2, 3, 0
            [2.0, 1.0, 4.0, 3.0, 0.0],  # ranking 2, 3, 0, 1, 4
        ]
    )
    # n = 5: k = 0, 1 (k = 2 would pair the median with itself)
    assert build_pairs(scores, num_pairs=5) == [
        (0, 1, 0),
        (0, 4, 3),
        (1, 2, 4),
        (1, 3, 1),
    ]
    # the cap keeps the best-vs-worst pair of each prompt
    assert build_pairs(scores, num_pairs=1) == [(0, 1, 0), (1, 2, 4)]
    assert build_pairs(scores, num_pairs=0) == []


def test_best_worst_skips_ties_and_small_margins():
    scores = np.array(
        [
            [1.0, 1.0, 1.0, 1.0],  # all equal: no preference at all
            [0.0, 5.0, 5.0, 0.0],  # ranking 1, 2, 0, 3: (1, 3) margin 5, (2, 0) margin 5
            [0.0, 1.0, 0.75, 0.5],  # ranking 1, 2, 3, 0: (1, 0) margin 1, (2, 3) margin 0.25
        ]
    )
    assert build_pairs(scores, num_pairs=2) == [(1, 1, 3), (1, 2, 0), (2, 1, 0), (2, 2, 3)]
    # margin 0.25 <= 0.25 is dropped; margin 1 > 0.25 is kept
    assert build_pairs(scores, num_pairs=2, min_margin=0.25) == [
        (1, 1, 3),
        (1, 2, 0),
        (2, 1, 0),
    ]


def test_all_orders_by_margin_then_indices():
    scores = np.array([[0.0, 3.0, 1.0, 1.0]])
    # ordered pairs with a positive margin:
    #   (1,0) 3 ; (1,2) 2 ; (1,3) 2 ; (2,0) 1 ; (3,0) 1   (2 vs 3 tie: no pair)
    expected = [(0, 1, 0), (0, 1, 2), (0, 1, 3), (0, 2, 0), (0, 3, 0)]
    assert build_pairs(scores, num_pairs=10, strategy="all") == expected
    assert build_pairs(scores, num_pairs=3, strategy="all") == expected[:3]
    # min_margin 1: margins must exceed 1, so the two margin-1 pairs go
    assert build_pairs(scores, num_pairs=10, strategy="all", min_margin=1.0) == expected[:3]


def test_all_handles_several_prompts_and_reuses_responses():
    scores = np.array([[1.0, 0.0, 2.0], [5.0, 5.0, 5.0]])
    # prompt 0: (2,1) 2 ; (0,1) 1 ; (2,0) 1 -> response 2 appears twice ; prompt 1: all tied
    assert build_pairs(scores, num_pairs=3, strategy="all") == [(0, 2, 1), (0, 0, 1), (0, 2, 0)]


def test_output_is_plain_ints_and_list_input_is_accepted():
    pairs = build_pairs([[0, 1]], num_pairs=1)
    assert pairs == [(0, 1, 0)]
    assert all(type(x) is int for x in pairs[0])


def test_single_response_or_no_prompts_give_no_pairs():
    assert build_pairs(np.array([[1.0], [2.0]]), num_pairs=3) == []
    assert build_pairs(np.zeros((0, 4)), num_pairs=3, strategy="all") == []


def test_build_pairs_errors():
    with pytest.raises(ValueError, match="best_worst, all"):
        build_pairs(np.zeros((1, 2)), num_pairs=1, strategy="random")
    assert STRATEGIES == ("best_worst", "all")
    with pytest.raises(ValueError, match=r"\(G, n\)"):
        build_pairs(np.zeros(4), num_pairs=1)
    with pytest.raises(ValueError, match="num_pairs"):
        build_pairs(np.zeros((1, 2)), num_pairs=-1)
    with pytest.raises(ValueError, match="min_margin"):
        build_pairs(np.zeros((1, 2)), num_pairs=1, min_margin=-0.5)
    with pytest.raises(ValueError, match="NaN"):
        build_pairs(np.array([[0.0, np.nan]]), num_pairs=1)


def test_kto_examples_median_threshold_and_ties():
    scores = np.array(
        [
            [0.0, 1.0, 2.0, 3.0],  # even n: median 1.5 -> top two desirable
            [0.0, 1.0, 2.0, 9.0],  # median 1.5 again (outliers don't move it)
            [4.0, 1.0, 2.0, 2.0],  # sorted 1, 2, 2, 4: median 2; the 2s are not above it
            [7.0, 7.0, 7.0, 7.0],  # all tied: nothing is desirable
        ]
    )
    expected = np.array(
        [
            [False, False, True, True],
            [False, False, True, True],
            [True, False, False, False],
            [False, False, False, False],
        ]
    )
    out = kto_examples(scores)
    assert out.dtype == bool and out.shape == (4, 4)
    np.testing.assert_array_equal(out, expected)


def test_kto_examples_odd_n_median_response_is_undesirable():
    # median of (3, 1, 2) is 2: only the 3 is strictly above
    np.testing.assert_array_equal(kto_examples(np.array([[3.0, 1.0, 2.0]])), [[True, False, False]])


def test_kto_examples_fixed_threshold():
    scores = np.array([[0.2, 0.5, 0.9], [0.6, 0.4, 0.5]])
    np.testing.assert_array_equal(
        kto_examples(scores, threshold=0.5), [[False, False, True], [True, False, False]]
    )
    with pytest.raises(ValueError, match="median"):
        kto_examples(scores, threshold="mean")
