"""RewardStandardizer against hand-computed means and stds."""

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


@pytest.fixture
def fitted() -> RewardStandardizer:
    return RewardStandardizer(["a", "b"]).fit(SAMPLES)


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
    s = RewardStandardizer(["a"], eps=1.0).fit(np.array([[3.0], [3.0]]))
    assert s.transform({"a": 4.0})["a"] == pytest.approx(1.0)  # centering only
    # A std above the floor is used as is: values 0, 4 -> std 2 > 1.
    s = RewardStandardizer(["a"], eps=1.0).fit(np.array([[0.0], [4.0]]))
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
    restored = RewardStandardizer()
    restored.load_state_dict(json.loads(json.dumps(fitted.state_dict())))
    batch = np.array([[1.0, 10.3], [7.0, 9.0]])
    np.testing.assert_array_equal(restored.transform(batch), fitted.transform(batch))
    assert restored.names == ["a", "b"] and restored.eps == fitted.eps
    empty = RewardStandardizer()
    json.dumps(empty.state_dict())  # unfitted state is serializable too
