"""RewardStandardizer against hand-computed means, stds and the flat-metric rule (issue 19)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from drbo.standardize import DEFAULT_EPS, RewardStandardizer

# Column a: 0, 2, 4 -> mean 2, population std sqrt((4 + 0 + 4) / 3) = sqrt(8/3) = 1.632993...
# Column b: 10, 10, 10 -> mean 10, std 0 -> floored at eps.
SAMPLES = np.array([[0.0, 10.0], [2.0, 10.0], [4.0, 10.0]])
STD_A = math.sqrt(8 / 3)


def legacy(names=None, eps=DEFAULT_EPS) -> RewardStandardizer:
    """The behaviour before issue 19: a flat metric is divided by eps, nothing is clipped."""
    return RewardStandardizer(names, eps=eps, flat_rule="eps", clip=None)


@pytest.fixture
def fitted() -> RewardStandardizer:
    return legacy(["a", "b"]).fit(SAMPLES)


def test_fit_from_array(fitted: RewardStandardizer) -> None:
    np.testing.assert_allclose(fitted.mean, [2.0, 10.0])
    np.testing.assert_allclose(fitted.std, [STD_A, 0.0])
    np.testing.assert_allclose(fitted.scale, [STD_A, DEFAULT_EPS])


def test_transform_dict(fitted: RewardStandardizer) -> None:
    out = fitted.transform({"b": 10.5, "a": 4.0})
    # a: (4 - 2) / 1.632993 = 1.224745; b: (10.5 - 10) / 0.01 = 50 (finite despite std 0)
    assert list(out) == ["a", "b"]
    assert out["a"] == pytest.approx(1.2247448714)
    assert out["b"] == pytest.approx(50.0)


def test_transform_batch_keeps_shape(fitted: RewardStandardizer) -> None:
    batch = np.array([[2.0, 10.0], [0.0, 9.99], [4.0, 10.0], [5.0, 10.02]])  # (B=4, N=2)
    out = fitted.transform(batch)
    assert out.shape == (4, 2)
    expected = np.array([[0.0, 0.0], [-2 / STD_A, -1.0], [2 / STD_A, 0.0], [3 / STD_A, 2.0]])
    np.testing.assert_allclose(out, expected, atol=1e-9)
    np.testing.assert_allclose(fitted.transform(np.array([2.0, 10.0])), [0.0, 0.0])


def test_fitted_sample_has_mean_zero_std_one_where_it_varies(fitted: RewardStandardizer) -> None:
    out = fitted.transform(SAMPLES)
    assert out[:, 0].mean() == pytest.approx(0.0)
    assert out[:, 0].std() == pytest.approx(1.0)
    np.testing.assert_allclose(out[:, 1], 0.0)


def test_fit_from_dict_uses_key_order_or_names() -> None:
    s = RewardStandardizer().fit({"b": [1.0, 3.0], "a": [5.0, 5.0, 5.0, 5.0]})
    assert s.names == ["b", "a"]
    np.testing.assert_allclose(s.mean, [2.0, 5.0])
    np.testing.assert_allclose(s.std, [1.0, 0.0])
    s2 = RewardStandardizer(["a", "b"]).fit({"b": [1.0, 3.0], "a": [5.0, 5.0]})
    np.testing.assert_allclose(s2.mean, [5.0, 2.0])


def test_custom_eps_floor() -> None:
    s = legacy(["a"], eps=1.0).fit(np.array([[3.0], [3.0]]))
    assert s.transform({"a": 4.0})["a"] == pytest.approx(1.0)  # centering only
    # A std above the floor is used as is: values 0, 4 -> std 2 > 1.
    s = legacy(["a"], eps=1.0).fit(np.array([[0.0], [4.0]]))
    assert s.transform({"a": 4.0})["a"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "samples",
    [np.zeros((0, 2)), {"a": [], "b": [1.0]}],
    ids=["empty-array", "empty-metric"],
)
def test_fit_refuses_empty(samples) -> None:
    with pytest.raises(ValueError, match="no samples|empty"):
        RewardStandardizer(["a", "b"]).fit(samples)


def test_fit_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        RewardStandardizer(["a"]).fit(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="columns"):
        RewardStandardizer(["a"]).fit(SAMPLES)
    with pytest.raises(ValueError, match="names"):
        RewardStandardizer().fit(SAMPLES)
    with pytest.raises(ValueError, match="eps"):
        RewardStandardizer(eps=0.0)


def test_transform_checks_keys_and_fit(fitted: RewardStandardizer) -> None:
    with pytest.raises(KeyError, match="missing \\['b'\\]"):
        fitted.transform({"a": 1.0})
    with pytest.raises(KeyError, match="extra \\['c'\\]"):
        fitted.transform({"a": 1.0, "b": 1.0, "c": 1.0})
    with pytest.raises(ValueError, match="shape"):
        fitted.transform(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="not fitted"):
        RewardStandardizer(["a"]).transform({"a": 1.0})


def test_state_dict_json_roundtrip(fitted: RewardStandardizer) -> None:
    restored = RewardStandardizer()  # the state carries the rule: eps floor, no clip
    restored.load_state_dict(json.loads(json.dumps(fitted.state_dict())))
    batch = np.array([[1.0, 10.3], [7.0, 9.0]])
    np.testing.assert_array_equal(restored.transform(batch), fitted.transform(batch))
    assert restored.names == ["a", "b"] and restored.eps == fitted.eps
    empty = RewardStandardizer()
    json.dumps(empty.state_dict())  # unfitted state is serializable too


# ---- the flat-metric rule (issue 19) ---------------------------------------------------------
ZEROS_16 = {"flat": [0.0] * 16, "varied": [0.0, 1.0] * 8}


def test_flat_metric_is_divided_by_the_one_success_std() -> None:
    # flat: 16 zeros -> mean 0, std 0; reach d = max(0 - 0, 1 - 0) = 1;
    #   floor = 1 * sqrt(16) / 17 = 4/17 = 0.235294 = std of {0 x 16, 1}.
    # varied: 0/1 alternating -> mean 0.5, std 0.5 (kept).
    s = RewardStandardizer().fit(ZEROS_16)
    np.testing.assert_allclose(s.scale, [4 / 17, 0.5])
    assert np.std([0.0] * 16 + [1.0]) == pytest.approx(4 / 17)
    out = s.transform({"flat": 0.5, "varied": 1.0})
    assert out["flat"] == pytest.approx(0.5 * 17 / 4)  # 2.125, not 0.5 / 0.01 = 50
    assert out["varied"] == pytest.approx(1.0)
    assert s.transform({"flat": 1.0, "varied": 0.5})["flat"] == pytest.approx(4.25)


def test_one_success_std_follows_the_mean_and_each_metrics_k() -> None:
    # "top": 5 ones -> mean 1, reach max(1 - 0, 1 - 1) = 1, K=5: sqrt(5) / 6 = 0.372678.
    # "mid": 0.3 x 8 -> reach max(0.3, 0.7) = 0.7, K=8: 0.7 * sqrt(8) / 9 = 0.219989.
    s = RewardStandardizer().fit({"top": [1.0] * 5, "mid": [0.3] * 8})
    np.testing.assert_allclose(s.count, [5, 8])
    np.testing.assert_allclose(s.scale, [math.sqrt(5) / 6, 0.7 * math.sqrt(8) / 9])
    assert s.transform({"top": 0.0, "mid": 0.3})["top"] == pytest.approx(-6 / math.sqrt(5))


def test_near_zero_spread_counts_as_flat_and_the_floor_never_amplifies_more_than_eps() -> None:
    # 0.004 spread (std 0.002 < eps) is flat: divided by the floor, not by 0.002.
    s = RewardStandardizer(["a"]).fit(np.array([[0.0], [0.004]]))
    assert s.flat.tolist() == [True]
    assert s.scale[0] == pytest.approx(0.998 * math.sqrt(2) / 3)
    # With K so large that the one-success std is below eps, eps still bounds the divisor.
    big = RewardStandardizer(["a"]).fit(np.zeros((10_000, 1)))
    assert big.one_success_std[0] < DEFAULT_EPS and big.scale[0] == DEFAULT_EPS


def test_identical_to_the_paper_formula_where_every_metric_has_spread() -> None:
    """Every std >= eps and no scaled value beyond the clip: the new default gives exactly
    today's (x - mean) / max(std, eps), bit for bit."""
    rng = np.random.default_rng(0)
    samples = np.column_stack(
        [rng.uniform(0, 1, 200), rng.beta(1, 9, 200), rng.binomial(1, 0.05, 200)]
    )  # K=200, three metrics: uniform, skewed near 0, sparse 0/1 with a few successes
    names = ["u", "skew", "bern"]
    new = RewardStandardizer(names).fit(samples)
    old = legacy(names).fit(samples)
    assert not new.flat.any()
    batch = rng.uniform(0, 1, (64, 3))  # (B=64, N=3)
    expected = (batch - samples.mean(0)) / np.maximum(samples.std(0), DEFAULT_EPS)
    assert np.abs(expected).max() < new.clip
    np.testing.assert_array_equal(new.transform(batch), expected)
    np.testing.assert_array_equal(new.transform(batch), old.transform(batch))


def test_scaled_rewards_are_clipped_to_the_bound_and_clip_none_leaves_them() -> None:
    # "sparse": one 0.1 among 16 -> std 0.1 * sqrt(15) / 16 = 0.024206 >= eps: kept as
    # fitted, so a score of 1 reads as (1 - 0.00625) / 0.024206 = 41.05 std -> clipped at 10.
    sparse = {"sparse": [0.0] * 15 + [0.1]}
    s = RewardStandardizer(clip=10.0).fit(sparse)
    assert not s.flat[0] and s.std[0] == pytest.approx(0.1 * math.sqrt(15) / 16)
    np.testing.assert_allclose(
        s.transform(np.array([[1.0], [0.0], [0.05]]))[:, 0],
        [10.0, -0.00625 / s.std[0], 0.04375 / s.std[0]],
    )
    assert s.transform({"sparse": -5.0})["sparse"] == -10.0
    unclipped = RewardStandardizer(clip=None).fit(sparse).transform({"sparse": 1.0})
    assert unclipped["sparse"] == pytest.approx(0.99375 / s.std[0])


def test_fit_warns_naming_every_flat_and_sparse_metric_and_what_the_rule_does(caplog) -> None:
    samples = {"flat": [0.0] * 16, "sparse": [0.0] * 15 + [0.1], "fine": [0.0, 1.0] * 8}
    with caplog.at_level("WARNING", logger="drbo.standardize"):
        RewardStandardizer().fit(samples)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("reward statistics: 'flat': std 0 over K=16 samples, mean 0:")
    assert "zero or near-zero spread (< standardize_eps=0.01); divided by 0.2353" in lines[0]
    assert "a score of 1 reads as 4.25 std (clipped at +-10)" in lines[0]
    assert lines[1].startswith("reward statistics: 'sparse': std 0.02421 over K=16")
    assert (
        "sparse" in lines[1]
        and "kept as fitted" in lines[1]
        and "a score of 1 reads as 41.1 std" in lines[1]
    )
    caplog.clear()
    with caplog.at_level("WARNING", logger="drbo.standardize"):
        RewardStandardizer().fit({"fine": [0.0, 1.0] * 8})
        # small K, continuous spread (sent_sim in shopping_mmlu): a top score reads as 2.3 std
        RewardStandardizer().fit({"sim": [0.612, 0.848] * 4})
    assert caplog.records == []


def test_log_dict_gives_the_statistics_in_use() -> None:
    s = RewardStandardizer().fit(ZEROS_16)
    assert s.log_dict() == pytest.approx(
        {"mean/flat": 0.0, "mean/varied": 0.5, "std/flat": 4 / 17, "std/varied": 0.5}
    )


def test_state_keeps_the_rule_and_a_checkpoint_from_before_keeps_its_meaning() -> None:
    s = RewardStandardizer(clip=3.0).fit(ZEROS_16)
    restored = RewardStandardizer(flat_rule="eps", clip=None)
    restored.load_state_dict(json.loads(json.dumps(s.state_dict())))
    assert (restored.flat_rule, restored.clip) == ("one_success", 3.0)
    batch = np.array([[0.5, 1.0], [2.0, -1.0]])
    np.testing.assert_array_equal(restored.transform(batch), s.transform(batch))
    old_state = {"names": ["flat"], "eps": 0.01, "mean": [0.0], "std": [0.0]}
    before = RewardStandardizer()
    before.load_state_dict(old_state)
    assert before.transform({"flat": 0.5})["flat"] == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"flat_rule": "floor"}, "flat_rule='floor'; allowed values: one_success, eps"),
        ({"clip": 0.0}, "clip must be > 0 or None"),
        ({"value_range": (1.0, 1.0)}, "lo < hi"),
    ],
)
def test_constructor_refuses_bad_rule_arguments(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        RewardStandardizer(**kwargs)
