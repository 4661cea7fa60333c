"""The held-out reproduction end to end on a tiny model: train, export, evaluate, tabulate."""

import csv
import json

from common.data import load_dataset
from common.data.shopbench import write_shopbench
from experiments.reproduce_shopping import main, table


def test_table_layout_by_hand():
    rows = {
        "zero-shot": {"per_metric": {"ner_f1": 0.0, "rouge_l": 0.5}, "overall": 0.2},
        "inverse": {"per_metric": {"ner_f1": 0.1, "rouge_l": 0.3}, "overall": 0.25},
    }
    header, cells = table(rows)
    assert header == ["method", "ner_f1", "rouge_l", "avg", "overall"]
    # avg of (0.0, 0.5) = 25.00 ; avg of (0.1, 0.3) = 20.00
    assert cells == [
        ["zero-shot", "0.00", "50.00", "25.00", "20.00"],
        ["inverse", "10.00", "30.00", "20.00", "25.00"],
    ]


def test_tiny_reproduction_writes_the_table(tmp_path):
    # A small held-out file in ShopBench format: two rows of each of four criteria.
    rows = load_dataset("shopbench", None)
    keep = []
    for metric in ("mc_accuracy", "ner_f1", "rouge_l", "hit_at_3"):
        keep += [ex for ex in rows if ex.metric == metric][:2]
    data = tmp_path / "heldout.jsonl"
    write_shopbench(data, keep)
    out = tmp_path / "rep"
    rc = main(
        [
            "--data",
            str(data),
            "--balancers",
            "average",
            "inverse",
            "--model",
            "tiny-gpt2",
            "--out",
            str(out),
            "trainer.steps=1",
            "trainer.standardize_k=8",
            "trainer.eval_before=false",
            "trainer.eval_after=false",
            "logger=none",
        ]
    )
    assert rc == 0
    with open(out / "table.csv") as f:
        table_rows = list(csv.reader(f))
    assert [r[0] for r in table_rows] == ["method", "zero-shot", "average", "inverse"]
    assert table_rows[0][-2:] == ["avg", "overall"]
    results = json.loads((out / "results.json").read_text())
    assert set(results["rows"]["inverse"]["per_metric"]) == {
        "mc_accuracy",
        "ner_f1",
        "rouge_l",
        "hit_at_3",
    }
    assert (out / "runs" / "inverse" / "final_model" / "config.json").exists()
