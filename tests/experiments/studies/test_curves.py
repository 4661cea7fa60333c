"""A study's training curves (experiments/studies/curves.py): the raw per-source key for a
one-source run, seed means over the common steps, the pooled trend and its table and plot."""

import json

import pytest

from experiments.studies.curves import curve_key, curves_md, plot_curves, study_curves


def _run(folder, values, extra=None):
    folder.mkdir(parents=True)
    with open(folder / "metrics.jsonl", "w") as f:
        for step, v in enumerate(values, start=1):
            row = {"step": step, "reward": v - 0.5, "reward/if_case": v, **(extra or {})}
            f.write(json.dumps(row) + "\n")
    return folder


def test_curve_key_is_the_one_source_else_the_mixed_reward():
    assert curve_key([{"step": 1, "reward": 0.1, "reward/a": 0.2}]) == "reward/a"
    assert curve_key([{"step": 1, "reward": 0.1, "reward/a": 0.2, "reward/b": 0.3}]) == "reward"
    assert curve_key([{"step": 1, "reward": 0.1}]) == "reward"


def test_study_curves_average_seeds_and_pool_the_trend(tmp_path):
    rising = [0.0, 0.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
    runs = {
        "case": [_run(tmp_path / "s0", rising), _run(tmp_path / "s1", [1 - v for v in rising])],
        "mixed": [_run(tmp_path / "m0", rising, {"reward/other": 0.0})],
    }
    curves = study_curves(runs)
    case = curves["case"]
    assert case["key"] == "reward/if_case" and case["seeds"] == 2
    assert case["mean"] == pytest.approx([0.5] * 8)  # the two seeds cancel
    assert case["trend"]["difference"] == pytest.approx(0.0)
    assert case["trend"]["verdict"] == "flat"
    mixed = curves["mixed"]
    assert mixed["key"] == "reward" and mixed["trend"]["difference"] == pytest.approx(1.0)
    table = curves_md(curves)
    assert "| case | `reward/if_case` | 2 | 16 | 0.500 (n=4) | 0.500 (n=4) | +0.000" in table
    assert plot_curves(curves, tmp_path / "training.png").stat().st_size > 0
    assert plot_curves({}, tmp_path / "none.png") is None
