"""The offline entailment proxy (:class:`EmbeddingNLI`): a small MLP over frozen MiniLM
sentence embeddings and four lexical cues, trained on generated pairs
(:mod:`common.rewards.nli.pairs`) and cached. A WEAK PROXY for a real NLI model: see the
package docstring (:mod:`common.rewards.nli`) for what it knows and its measured accuracy.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from common.rewards.nli.base import NLIScorer, as_pairs
from common.rewards.proxy_training import (
    accuracy_by_kind,
    atomic_save,
    mlp,
    one_thread,
    train_bce_head,
)

log = logging.getLogger(__name__)

_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor)\b|n't", re.I)
_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CAPITAL = re.compile(r"\b[A-Z][a-z]+")
N_LEXICAL = 4


def lexical_features(premise: str, hypothesis: str) -> list[float]:
    """Four cheap cues that sentence embeddings blur: the fraction of the hypothesis's words,
    numbers and capitalized names found in the premise (1 when it has none), and whether the
    hypothesis negates where the premise does not."""
    p_words = set(_WORD.findall(premise.lower()))

    def found(items: list[str], pool: set[str] | str) -> float:
        return sum(x in pool for x in items) / len(items) if items else 1.0

    h_words = _WORD.findall(hypothesis.lower())
    h_numbers = _NUMBER.findall(hypothesis)
    h_names = [w.lower() for w in _CAPITAL.findall(hypothesis)]
    negates = bool(_NEGATION.search(hypothesis)) and not _NEGATION.search(premise)
    return [
        found(h_words, p_words),
        found(h_numbers, set(_NUMBER.findall(premise))),
        found(h_names, p_words),
        float(negates),
    ]


class EmbeddingNLI(NLIScorer):
    """Offline entailment proxy: MLP over ``[u, v, |u-v|, u*v, lexical]`` where u, v are the
    L2-normalized MiniLM embeddings of premise and hypothesis, shape (B, 4*384 + 4).

    Trained once per (embedder, n_premises, seed, hidden) and cached as a ``.pt`` file under
    ``<cache>/nli/`` (``$MULTIREWARD_CACHE`` or ``~/.cache/multireward``). Premises longer
    than the embedder's window (256 word pieces) are truncated for the embedding only.

    Attributes:
        heldout_accuracy: accuracy on the held-out 20% of generated premises' pairs.
        heldout_by_kind: the same per hypothesis kind (copy, paraphrase, swapped...).
    """

    VERSION = 1  # bump when the generator or the features change, to retire old caches

    def __init__(
        self,
        embedder: str = "default",
        n_premises: int = 600,
        seed: int = 0,
        hidden: int = 32,
        epochs: int = 300,
        batch_size: int = 64,
        cache_dir: str | os.PathLike | None = None,
        retrain: bool = False,
    ) -> None:
        import torch

        from common.models.assets import sentence_embedder

        self.embedder_name = embedder
        self.embedder = sentence_embedder(embedder)
        self.batch_size = batch_size
        self.seed, self.hidden = seed, hidden
        path = self._cache_path(cache_dir, embedder, n_premises, seed, hidden, epochs)
        if path.exists() and not retrain:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        else:
            blob = self._train(n_premises, seed, hidden, epochs)
            atomic_save(blob, path)
        self.net = mlp(int(blob["in_dim"]), hidden)
        self.net.load_state_dict(blob["state_dict"])
        self.net.eval()
        self.heldout_accuracy = float(blob["heldout_accuracy"])
        self.heldout_by_kind = {k: float(v) for k, v in blob["heldout_by_kind"].items()}
        self.cache_path = path

    @classmethod
    def _cache_path(cls, cache_dir, embedder, n_premises, seed, hidden, epochs) -> Path:
        if cache_dir is None:
            from common.models.assets import cache_dir as default_cache

            cache_dir = default_cache() / "nli"
        tag = hashlib.sha1(embedder.encode()).hexdigest()[:8]
        name = f"embedding_nli_v{cls.VERSION}_{tag}_n{n_premises}_s{seed}_h{hidden}_e{epochs}.pt"
        return Path(cache_dir) / name

    def features(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        """Feature matrix, shape (B, 4*d + 4), float32."""
        premises, hypotheses = as_pairs(premises, hypotheses)
        unique = sorted(set(premises) | set(hypotheses))  # citations reuse the same docs
        emb = self.embedder.encode(
            unique, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        index = {t: i for i, t in enumerate(unique)}
        u = emb[[index[p] for p in premises]]
        v = emb[[index[h] for h in hypotheses]]
        lex = np.array([lexical_features(p, h) for p, h in zip(premises, hypotheses, strict=True)])
        return np.concatenate([u, v, np.abs(u - v), u * v, lex], axis=1).astype(np.float32)

    def probs(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        import torch

        if len(premises) == 0:
            return np.zeros(0)
        x = torch.from_numpy(self.features(premises, hypotheses))
        with torch.no_grad():
            return torch.sigmoid(self.net(x)[:, 0]).double().numpy()

    def _train(self, n_premises: int, seed: int, hidden: int, epochs: int) -> dict[str, Any]:
        import torch

        from common.rewards.nli.pairs import generate_pairs

        t0 = time.time()
        pairs = generate_pairs(n_premises=n_premises, seed=seed)
        with one_thread():
            x = self.features([p.premise for p in pairs], [p.hypothesis for p in pairs])
        x = torch.from_numpy(x)
        y = torch.tensor([float(p.entailed) for p in pairs])
        # split by premise so held-out pairs never share a document with training pairs
        heldout = torch.tensor([p.group % 5 == 0 for p in pairs])
        net = train_bce_head(x, y, ~heldout, seed=seed, hidden=hidden, epochs=epochs)
        with torch.no_grad():
            pred = net(x[heldout])[:, 0] > 0
        correct = (pred == y[heldout].bool()).numpy()
        kinds = np.array([p.kind for p in pairs])[heldout.numpy()]
        acc, by_kind = accuracy_by_kind(correct, kinds)
        log.info(
            "EmbeddingNLI trained in %.1fs; held-out accuracy %.3f %s",
            time.time() - t0,
            acc,
            by_kind,
        )
        return {
            "state_dict": net.state_dict(),
            "in_dim": int(x.shape[1]),
            "heldout_accuracy": acc,
            "heldout_by_kind": by_kind,
        }
