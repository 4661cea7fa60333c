"""Shared training of the learned proxies: the BCE and Bradley-Terry heads (deterministic,
fitted only on the training rows, the caller's RNG untouched), per-kind accuracy by hand,
the one-thread guard and the atomic write."""

from __future__ import annotations

import numpy as np
import torch

from common.rewards.proxy_training import (
    accuracy_by_kind,
    atomic_save,
    mlp,
    one_thread,
    train_bce_head,
    train_bt_head,
)


def test_train_bt_head_is_deterministic_and_centred():
    rng = np.random.default_rng(0)
    xc = rng.normal(size=(64, 8)).astype(np.float32) + 1.0
    xr = rng.normal(size=(64, 8)).astype(np.float32)
    held = np.arange(64) % 4 == 0
    a, b = (train_bt_head(xc, xr, held, seed=1, hidden=4, epochs=50) for _ in range(2))
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    with torch.no_grad():
        fc, fr = a(torch.from_numpy(xc[~held]))[:, 0], a(torch.from_numpy(xr[~held]))[:, 0]
    assert abs(float(fc.mean() + fr.mean()) / 2) < 1e-5  # the offset puts 0.5 between them
    assert float((fc > fr).float().mean()) > 0.9


def test_train_bce_head_fits_the_training_rows_only_and_keeps_the_rng():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(80, 6)).astype(np.float32))
    y = (x[:, 0] > 0).float()
    train = torch.arange(80) % 5 != 0
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = train_bce_head(x, y, train, seed=2, hidden=4, epochs=80)
    assert torch.equal(torch.rand(1), expected_next)  # fork_rng: the caller's stream goes on
    b = train_bce_head(x, y, train, seed=2, hidden=4, epochs=80)
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    # labels of the held-out rows do not matter: flipping them changes nothing
    y_flipped = torch.where(train, y, 1 - y)
    c = train_bce_head(x, y_flipped, train, seed=2, hidden=4, epochs=80)
    for pa, pc in zip(a.state_dict().values(), c.state_dict().values(), strict=True):
        torch.testing.assert_close(pa, pc, rtol=0, atol=0)
    with torch.no_grad():
        acc = float(((a(x[~train])[:, 0] > 0) == y[~train].bool()).float().mean())
    assert acc > 0.8  # a linear rule on one feature


def test_accuracy_by_kind_by_hand():
    correct = np.array([True, False, True, True, False])
    kinds = np.array(["swap", "swap", "copy", "copy", "negated"])
    acc, by_kind = accuracy_by_kind(correct, kinds)
    assert acc == 0.6
    assert by_kind == {"copy": 1.0, "negated": 0.0, "swap": 0.5}
    assert list(by_kind) == ["copy", "negated", "swap"]


def test_mlp_shape_and_one_thread_restores():
    net = mlp(7, 3)
    assert net(torch.zeros(5, 7)).shape == (5, 1)
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_atomic_save_leaves_only_the_file(tmp_path):
    path = tmp_path / "sub" / "head.pt"
    atomic_save({"a": torch.ones(2)}, path)
    assert [p.name for p in path.parent.iterdir()] == ["head.pt"]
    torch.testing.assert_close(torch.load(path, weights_only=True)["a"], torch.ones(2))
