"""Stratified train/eval split and metric filtering."""

from __future__ import annotations

from collections import Counter

import pytest

from common.data.splits import filter_by_metric, train_eval_split
from common.data.types import Example


def make(counts: dict[str, int]) -> list[Example]:
    return [
        Example(prompt=f"{m} {i}", gold=i, metric=m) for m, n in counts.items() for i in range(n)
    ]


def test_deterministic_by_seed_and_seed_matters():
    data = make({"a": 30, "b": 30})
    first = train_eval_split(data, eval_fraction=0.2, seed=1)
    again = train_eval_split(data, eval_fraction=0.2, seed=1)
    other = train_eval_split(data, eval_fraction=0.2, seed=2)
    assert [e.prompt for e in first[1]] == [e.prompt for e in again[1]]
    assert [e.prompt for e in first[1]] != [e.prompt for e in other[1]]


def test_stratified_both_splits_hold_every_metric():
    data = make({"mc_accuracy": 40, "ndcg": 5, "rouge_l": 2, "bleu4": 100})
    train, evals = train_eval_split(data, eval_fraction=0.25, seed=0)
    tc, ec = Counter(e.metric for e in train), Counter(e.metric for e in evals)
    assert set(tc) == set(ec) == {"mc_accuracy", "ndcg", "rouge_l", "bleu4"}
    assert ec == {"mc_accuracy": 10, "ndcg": 1, "rouge_l": 1, "bleu4": 25}
    assert len(train) + len(evals) == len(data)
    assert not {e.prompt for e in train} & {e.prompt for e in evals}
    # input order is kept within each split
    assert [data.index(e) for e in train] == sorted(data.index(e) for e in train)


def test_metric_order_in_input_does_not_change_split():
    a = make({"x": 10, "y": 10})
    b = a[10:] + a[:10]  # y rows first, each metric's own order kept
    ea = {e.prompt for e in train_eval_split(a, seed=5)[1]}
    eb = {e.prompt for e in train_eval_split(b, seed=5)[1]}
    assert ea == eb


def test_max_eval_per_metric_caps():
    _, evals = train_eval_split(make({"a": 100, "b": 10}), eval_fraction=0.5, max_eval_per_metric=3)
    assert Counter(e.metric for e in evals) == {"a": 3, "b": 3}


def test_single_row_metric_is_an_error():
    with pytest.raises(ValueError, match="dataset shop has no rows for metric ndcg"):
        train_eval_split(make({"a": 10, "ndcg": 1}), dataset="shop")


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_bad_fraction(fraction):
    with pytest.raises(ValueError, match="eval_fraction"):
        train_eval_split(make({"a": 4}), eval_fraction=fraction)


def test_empty_dataset():
    with pytest.raises(ValueError, match="no rows"):
        train_eval_split([], dataset="x")


def test_filter_by_metric_keeps_order_and_errors_on_missing():
    data = make({"a": 2, "b": 2, "c": 2})
    kept = filter_by_metric(data, ["c", "a"], dataset="shop")
    assert [e.prompt for e in kept] == ["a 0", "a 1", "c 0", "c 1"]
    with pytest.raises(ValueError, match="dataset shop has no rows for metric z after filtering"):
        filter_by_metric(data, ["a", "z"], dataset="shop")
