"""Exact JSON round trip of numpy arrays (bandit state in trainer_state.json)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from common.rundir.array_codec import decode_array, encode_array


@pytest.mark.parametrize(
    "array",
    [
        np.array([[1.0, -2.5], [np.pi, 1e-300]]),
        np.arange(24, dtype=np.int32).reshape(2, 3, 4),
        np.zeros((0, 3)),
        np.array(7.0),
        np.arange(6, dtype=">f8").reshape(2, 3),  # big-endian in, same values out
    ],
)
def test_round_trip_is_bit_exact(array: np.ndarray) -> None:
    back = decode_array(json.loads(json.dumps(encode_array(array))))
    assert back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable  # a copy, not a read-only view of the decoded bytes


def test_encoded_form() -> None:
    enc = encode_array(np.array([1.0, 2.0]))
    assert enc["dtype"] == "<f8" and enc["shape"] == [2]
    assert len(enc["b64"]) == 24  # 16 bytes -> 24 base64 characters


@pytest.mark.parametrize(
    "bad",
    [
        {"dtype": "<f8", "shape": [2]},
        {"dtype": "<f8", "shape": [3], "b64": "AAAAAAAAAAA="},
        {"dtype": "<f8", "shape": [1], "b64": "not base64!"},
    ],
)
def test_bad_encoding_is_refused(bad: dict) -> None:
    with pytest.raises(ValueError, match="encoded array"):
        decode_array(bad)
