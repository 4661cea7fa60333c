"""WeightMonitor: entropy by hand, one warning after `patience` one-hot re-balances."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drbo.weight_monitor import WeightMonitor, build_weight_monitor, weight_entropy

NAMES = ["mauve", "em", "cite"]
UNIFORM = np.full(3, 1 / 3)
ONE_HOT_CITE = np.array([0.001, 0.0, 0.999])


def test_weight_entropy_by_hand() -> None:
    assert weight_entropy(UNIFORM) == pytest.approx(math.log(3))
    assert weight_entropy(np.array([0.0, 0.0, 1.0])) == 0.0
    # -(0.5 ln 0.5 + 0.25 ln 0.25 * 2) = 1.5 ln 2 = 1.039721
    assert weight_entropy(np.array([0.5, 0.25, 0.25])) == pytest.approx(1.5 * math.log(2))


def _feed(monitor, weights_by_step, scaled=None):
    out = []
    for step, w in enumerate(weights_by_step, start=1):
        out.append(monitor.observe(step, w, (scaled or {}).get(step, {})))
    return out


def test_warns_once_after_patience_one_hot_rebalances_naming_metric_and_cause(caplog) -> None:
    # every=4: steps 1-4 preset, 5-8 period 1, 9-12 period 2, 13-16 period 3.
    monitor = WeightMonitor(NAMES, every=4, patience=2)
    weights = [UNIFORM] * 4 + [ONE_HOT_CITE] * 12
    scaled = {3: {"mauve": 0.2, "em": -0.4, "cite": 0.0}, 5: {"mauve": 0.1, "cite": 50.0}}
    with caplog.at_level("WARNING", logger="drbo.weight_monitor"):
        figures = _feed(monitor, weights, scaled)
    assert [f["weight_entropy"] for f in figures[:4]] == pytest.approx([math.log(3)] * 4)
    assert figures[4]["weight_entropy"] == pytest.approx(
        -0.001 * math.log(0.001) - 0.999 * math.log(0.999)
    )
    assert len(caplog.records) == 1  # once, though periods 2 and 3 are one-hot too
    msg = caplog.records[0].getMessage()
    assert msg.startswith("step 9: the balancer's weights have been one-hot on 'cite' (w=0.999)")
    assert "for 2 re-balances in a row" in msg
    assert "its scaled reward, up to 50 at step 5" in msg
    assert "largest of the others: mauve 0.2, em -0.4" in msg


def test_no_warning_when_one_hot_does_not_last_or_moves_between_metrics(caplog) -> None:
    monitor = WeightMonitor(NAMES, every=2, patience=2)
    one_hot_em = np.array([0.0, 1.0, 0.0])
    spread = np.array([0.5, 0.3, 0.2])
    # periods: 1 cite, 2 spread, 3 cite, 4 em, 5 cite -> never 2 in a row on one metric
    weights = [UNIFORM] * 2 + [ONE_HOT_CITE, ONE_HOT_CITE, spread, spread]
    weights += [ONE_HOT_CITE] * 2 + [one_hot_em] * 2 + [ONE_HOT_CITE] * 2
    with caplog.at_level("WARNING", logger="drbo.weight_monitor"):
        _feed(monitor, weights)
    assert caplog.records == []
    assert not monitor.warned


def test_one_hot_preset_weights_do_not_count() -> None:
    monitor = WeightMonitor(NAMES, every=3, patience=1)
    _feed(monitor, [ONE_HOT_CITE] * 3)  # period 0: the preset, not a re-balance
    assert not monitor.warned
    figures = monitor.observe(4, ONE_HOT_CITE, {})
    assert monitor.warned and figures["weight_entropy"] < 0.01


def test_built_for_delta_and_inverse_only() -> None:
    assert isinstance(build_weight_monitor({"name": "delta", "every": 4}, NAMES), WeightMonitor)
    assert build_weight_monitor({"name": "inverse", "every": 4}, NAMES).every == 4
    for name in ("single", "sequential", "static", "linucb"):
        assert build_weight_monitor({"name": name}, NAMES).observe(1, ONE_HOT_CITE, {}) == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"every": 0}, "every"),
        ({"every": 2, "one_hot": 0.0}, "one_hot"),
        ({"every": 2, "patience": 0}, "patience"),
    ],
)
def test_refuses_bad_arguments(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        WeightMonitor(NAMES, **kwargs)
