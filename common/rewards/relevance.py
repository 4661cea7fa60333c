"""Prompt-response relevance: the cosine similarity of their sentence embeddings.

``prompt_relevance`` needs no gold and no training, which makes it a cheap reward-model arm,
and a deliberately NOISY one: it measures topical overlap, not whether the response does
what was asked, so echoing the prompt scores near 1, and a good summary of a long review
scores lower than a copy of it. It is a useful foil for a bandit over reward models.

:func:`embed_texts` (unique-text batching over the bundled all-MiniLM-L6-v2) is shared with
:mod:`common.rewards.pref_rm`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from common.rewards.base import RewardOutput, Scorer
from common.rewards.registry import SCORERS


def valid_response(response: Any) -> bool:
    """A non-empty string; anything else is scored 0 and flagged as a parse failure."""
    return isinstance(response, str) and bool(response.strip())


def embed_texts(texts: Sequence[str], model: str = "default", batch_size: int = 32) -> np.ndarray:
    """L2-normalized sentence embeddings, float32 array of shape (len(texts), d).

    Each distinct text is encoded once: a LASeR batch holds n samples of each prompt, so the
    prompts repeat n times. Texts longer than the embedder's window (256 word pieces for
    MiniLM) are truncated by it.
    """
    from common.models.assets import sentence_embedder

    unique = list(dict.fromkeys(texts))
    if not unique:
        return np.zeros((0, 384), dtype=np.float32)
    emb = sentence_embedder(model).encode(
        unique,
        batch_size=min(batch_size, len(unique)),
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    row = {t: i for i, t in enumerate(unique)}
    return np.asarray(emb, dtype=np.float32)[[row[t] for t in texts]]


@SCORERS.register("prompt_relevance")
class PromptRelevance(Scorer):
    """``max(0, cos(e(prompt), e(response)))``, shape (B,), with e the MiniLM embedding
    (``model``: "default" = the bundled copy, or a SentenceTransformer hub id / path). Gold
    is ignored (may be None)."""

    def __init__(self, model: str = "default", batch_size: int = 32, name: str | None = None):
        self.model, self.batch_size = model, batch_size
        self.name = name or type(self).name

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        valid = np.array([valid_response(o) for o in outputs], dtype=bool)
        scores = np.zeros(len(outputs))
        rows = np.flatnonzero(valid)
        if rows.size:
            u = embed_texts([prompts[i] or "" for i in rows], self.model, self.batch_size)
            v = embed_texts([outputs[i] for i in rows], self.model, self.batch_size)
            # clip: negative cosine means unrelated, and float rounding can pass 1
            scores[rows] = np.clip(np.einsum("bd,bd->b", u, v), 0.0, 1.0)
        return RewardOutput(self.name, scores, ~valid)
