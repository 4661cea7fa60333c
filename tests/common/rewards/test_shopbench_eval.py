"""Official ShopBench aggregation: task means, NER micro-F1, mixed-metric tasks, overall."""

from __future__ import annotations

import pytest

from common.data.types import Example
from common.rewards.shopbench_eval import score_shopbench
from common.rewards.shopbench_metrics import MultipleChoiceAccuracy


def ex(gold, metric, task):
    return Example("prompt", gold, metric, task)


def test_aggregation_hand_computed():
    examples = [
        ex(2, "mc_accuracy", "task10"),
        ex(2, "mc_accuracy", "task10"),
        ex([1, 2, 3], "hit_at_3", "task3"),
        ex(["a", "b"], "ner_f1", "task4"),
        ex(["c"], "ner_f1", "task4"),
        ex("super comfortable", "rouge_l", "task6"),
        ex(1, "mc_accuracy", "task2"),
    ]
    predictions = ["2", "1", "[3, 9, 1]", "a, c", "[]", "very comfortable", None]
    scores = score_shopbench(examples, predictions)
    # task10: (1 + 0) / 2 = 0.5; task3: {1, 3} of {1, 2, 3} = 2/3
    # task4 micro-F1: tp 1+0, fp 1+0, fn 1+1 -> P 1/2, R 1/3 -> F1 = (1/3)/(5/6) = 0.4
    # task6 ROUGE-L: 0.5; task2: None -> 0
    assert scores["per_task"] == pytest.approx(
        {"task2": 0.0, "task3": 2 / 3, "task4": 0.4, "task6": 0.5, "task10": 0.5}
    )
    assert list(scores["per_task"]) == ["task2", "task3", "task4", "task6", "task10"]
    # mc_accuracy is used by task10 (0.5) and task2 (0): mean over tasks = 0.25
    assert scores["per_metric"] == pytest.approx(
        {"hit_at_3": 2 / 3, "mc_accuracy": 0.25, "ner_f1": 0.4, "rouge_l": 0.5}
    )
    # overall = (0 + 2/3 + 0.4 + 0.5 + 0.5) / 5 = 2.066667 / 5 = 0.413333
    assert scores["overall"] == pytest.approx((0 + 2 / 3 + 0.4 + 0.5 + 0.5) / 5)
    assert scores["rows"]["per_task"]["task10"] == 2
    assert scores["rows"]["parse_failed"] == {
        "hit_at_3": 0,
        "mc_accuracy": 1,
        "ner_f1": 0,
        "rouge_l": 0,
    }


def test_mixed_metric_task_is_a_row_mean():
    # task17 holds bleu rows and a jp-bleu row; its score is the mean over all 5 rows.
    gold = "the cat sat on a mat"
    examples = [ex(gold, "bleu4", "task17")] * 4 + [ex("東京都の天気", "jp_bleu", "task17")]
    predictions = [gold, gold, gold, "", "東京都の天気"]
    scores = score_shopbench(examples, predictions)
    # rows: 1, 1, 1, 0, 1 -> 4/5; per metric: bleu4 3/4, jp_bleu 1
    assert scores["per_task"] == pytest.approx({"task17": 0.8})
    assert scores["per_metric"] == pytest.approx({"bleu4": 0.75, "jp_bleu": 1.0})
    assert scores["overall"] == pytest.approx(0.8)


def test_reuses_and_fills_given_scorers():
    mine = MultipleChoiceAccuracy()
    scorers = {"mc_accuracy": mine}
    score_shopbench([ex(1, "mc_accuracy", "t"), ex([1], "hit_at_3", "t")], ["1", "1"], scorers)
    assert scorers["mc_accuracy"] is mine and "hit_at_3" in scorers


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="1 predictions for 2 examples"):
        score_shopbench([ex(1, "mc_accuracy", "t")] * 2, ["1"])


def test_unknown_metric_is_an_error():
    with pytest.raises(KeyError, match="unknown reward metric"):
        score_shopbench([ex(1, "no_such_metric", "t")], ["1"])
