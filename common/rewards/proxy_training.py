"""Training shared by the project's learned proxies (:class:`common.rewards.nli.EmbeddingNLI`,
:class:`common.rewards.pref_rm.PreferenceRM`): a one-hidden-layer MLP head over frozen
sentence-embedding features, fitted full-batch with Adam on one thread, its held-out
accuracy per generated kind, and an atomic cache write.

Both proxies are fitted the same way (Adam, lr 3e-3, weight decay 1e-3, full batch, seeded
inside :func:`torch.random.fork_rng` so the caller's RNG stream is untouched); they differ in
the loss: binary cross-entropy on entailment labels (:func:`train_bce_head`) and the
Bradley-Terry loss on (chosen, rejected) pairs (:func:`train_bt_head`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np

LR = 3e-3
WEIGHT_DECAY = 1e-3


@contextlib.contextmanager
def one_thread():
    """Train on one thread: on a shared 2-core machine two torch threads were 2-25x slower
    than one (they spin waiting for each other), and one thread is bit-reproducible."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def mlp(in_dim: int, hidden: int):
    """``Linear(in_dim, hidden) -> ReLU -> Linear(hidden, 1)``: features (B, in_dim) to
    logits (B, 1)."""
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(in_dim, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
    )


def train_bce_head(x, y, train, seed: int, hidden: int, epochs: int):
    """Fit a head with binary cross-entropy on logits, full batch.

    Args:
        x: features, float tensor of shape (N, D).
        y: labels in {0, 1}, float tensor of shape (N,).
        train: bool tensor of shape (N,): the rows fitted on.

    Returns:
        the trained ``torch.nn.Sequential`` (train mode, as fitted).
    """
    import torch

    with torch.random.fork_rng(devices=[]), one_thread():
        torch.manual_seed(seed)
        net = mlp(x.shape[1], hidden)
        opt = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        xt, yt = x[train], y[train]
        for _ in range(epochs):  # full batch: ~2k rows, deterministic and fast
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xt)[:, 0], yt)
            loss.backward()
            opt.step()
    return net


def train_bt_head(
    x_chosen: np.ndarray,
    x_rejected: np.ndarray,
    heldout: np.ndarray,
    seed: int = 0,
    hidden: int = 32,
    epochs: int = 200,
):
    """Fit the MLP head with the Bradley-Terry loss ``-log sigmoid(f(c) - f(r))``.

    Args:
        x_chosen, x_rejected: features of the pairs, shape (P, D) each.
        heldout: bool mask of shape (P,): pairs left out of training.

    The BT loss only sees differences, so it leaves the head's offset free; afterwards the
    output bias is set so that the midpoint of the training pairs' mean chosen and mean
    rejected logits maps to 0 (score 0.5): a chosen answer scores above 0.5, a rejected
    one below, on average.

    Returns:
        the trained ``torch.nn.Sequential`` (eval mode).
    """
    import torch

    xc, xr = torch.from_numpy(x_chosen), torch.from_numpy(x_rejected)
    train = torch.from_numpy(~heldout)
    with torch.random.fork_rng(devices=[]), one_thread():
        torch.manual_seed(seed)
        net = mlp(xc.shape[1], hidden)
        opt = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        for _ in range(epochs):  # full batch: ~1k pairs, deterministic and fast
            opt.zero_grad()
            margin = net(xc[train])[:, 0] - net(xr[train])[:, 0]
            loss = -torch.nn.functional.logsigmoid(margin).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            mid = (net(xc[train]).mean() + net(xr[train]).mean()) / 2
            net[-1].bias -= mid
    return net.eval()


def accuracy_by_kind(correct: np.ndarray, kinds: np.ndarray) -> tuple[float, dict[str, float]]:
    """Overall and per-kind accuracy of held-out decisions.

    Args:
        correct: bool array of shape (H,), one decision per held-out row.
        kinds: str array of shape (H,), how each row was generated.

    Returns:
        (mean of ``correct``, {kind: mean of ``correct`` over that kind}), kinds sorted.
    """
    by_kind = {str(k): float(correct[kinds == k].mean()) for k in sorted(set(kinds))}
    return float(correct.mean()), by_kind


def atomic_save(blob: dict[str, Any], path: Path) -> None:
    """``torch.save`` through a temporary file and a rename: a concurrent reader (another
    run training the same head) never sees half a file."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save(blob, tmp)
    os.replace(tmp, path)
