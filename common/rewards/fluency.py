"""``mauve_fluency``: MAUVE (Pillutla et al. 2021) between a batch's outputs and its golds'
reference texts, as ALCE reports fluency.

MAUVE is a CORPUS-level metric: it compares the distribution of the outputs with that of the
references, so every sample of a batch gets the same score, the batch's MAUVE (parse
failures get 0). Its value therefore depends on the batch (size and composition); compare
numbers computed on the same evaluation set. Texts are prepared as ALCE does: the question (when
the gold has one) then the text, cut to 100 words, trailing punctuation stripped.

Features come from the bundled all-MiniLM-L6-v2 (L2-normalized sentence embeddings) rather
than ALCE's GPT-2 large, which cannot be downloaded here; MAUVE values are not comparable
with papers that use GPT-2 features.

Small batches: MAUVE quantizes the features into ~n/10 k-means buckets and is meaningless for
a handful of samples. With fewer than ``min_samples`` valid outputs or references, the
fallback is per sample: max(0, cos(output embedding, its reference embedding)), a similarity
proxy that is NOT MAUVE; ``last_mode`` says which was used. (mauve-text quirk: two
feature sets that are exactly equal can score 0.75 rather than 1, from ties in its curve.)

``mauve-text`` (GPLv3) is an optional dependency, imported when the scorer is built.
Gold: a reference string, a list of them (the first is used), or a dict with ``answer``
(ELI5), ``annotations[0]["long_answer"]`` (ASQA) or ``reference``, and optionally ``question``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from common.rewards.base import RewardOutput, Scorer
from common.rewards.registry import register_scorer


def reference_text(gold: Any) -> str | None:
    """The human reference of a gold, or None when it carries none."""
    if isinstance(gold, str):
        return gold or None
    if isinstance(gold, (list, tuple)):
        return reference_text(gold[0]) if gold else None
    if isinstance(gold, Mapping):
        if gold.get("answer"):
            return reference_text(gold["answer"])
        annotations = gold.get("annotations") or []
        if annotations and isinstance(annotations[0], Mapping):
            return annotations[0].get("long_answer") or None
        return reference_text(gold.get("reference"))
    return None


def prepare_text(text: str, question: str = "", max_words: int = 100) -> str:
    """ALCE's MAUVE input: ``question text`` cut to ``max_words`` words, end punctuation off."""
    words = (f"{question} {text.strip()}" if question else text.strip()).split()
    return " ".join(words[:max_words]).rstrip(string.punctuation)


@register_scorer("mauve_fluency")
class MauveFluency(Scorer):
    """Batch MAUVE of outputs vs references, repeated per sample; shape (B,)."""

    def __init__(
        self,
        embedder: str = "default",
        min_samples: int = 10,
        max_words: int = 100,
        use_question: bool = True,
        seed: int = 25,
        mauve_scaling_factor: float = 5.0,
    ) -> None:
        try:
            import mauve  # noqa: F401
        except ImportError as err:
            raise ImportError(
                "mauve_fluency needs the optional package mauve-text (GPLv3): "
                "pip install mauve-text"
            ) from err
        from common.assets import sentence_embedder

        self.embedder = sentence_embedder(embedder)
        self.min_samples = min_samples
        self.max_words = max_words
        self.use_question = use_question
        self.seed = seed
        self.mauve_scaling_factor = mauve_scaling_factor
        self.last_mode = ""
        self.last_corpus_score = float("nan")

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Normalized embeddings, shape (len(texts), d)."""
        return self.embedder.encode(texts, normalize_embeddings=True, show_progress_bar=False)

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        n = len(outputs)
        scores, failed = np.zeros(n), np.zeros(n, dtype=bool)
        out_texts, ref_texts = [], []
        for i, (output, gold) in enumerate(zip(outputs, golds, strict=True)):
            question = ""
            if self.use_question and isinstance(gold, Mapping):
                question = str(gold.get("question") or "")
            ref = reference_text(gold)
            ref_texts.append(prepare_text(ref, question, self.max_words) if ref else None)
            valid = isinstance(output, str) and output.strip()
            failed[i] = not valid
            out_texts.append(prepare_text(output, question, self.max_words) if valid else None)

        valid_out = [i for i in range(n) if out_texts[i]]
        valid_ref = [i for i in range(n) if ref_texts[i]]
        if not valid_out:
            self.last_mode, self.last_corpus_score = "empty", 0.0
            return RewardOutput(self.name, scores, failed)
        q = self._embed([out_texts[i] for i in valid_out])
        p = self._embed([ref_texts[i] for i in valid_ref]) if valid_ref else None
        if p is not None and min(len(valid_out), len(valid_ref)) >= self.min_samples:
            import mauve

            result = mauve.compute_mauve(
                p_features=p,
                q_features=q,
                seed=self.seed,
                verbose=False,
                mauve_scaling_factor=self.mauve_scaling_factor,
            )
            self.last_mode, self.last_corpus_score = "mauve", float(result.mauve)
            scores[valid_out] = float(np.clip(result.mauve, 0.0, 1.0))
        else:
            self.last_mode = "cosine_fallback"
            ref_row = {i: k for k, i in enumerate(valid_ref)}
            for k, i in enumerate(valid_out):
                if i in ref_row:  # rows without a reference keep 0
                    scores[i] = float(np.clip(q[k] @ p[ref_row[i]], 0.0, 1.0))
            self.last_corpus_score = float(scores[valid_out].mean())
        return RewardOutput(self.name, scores, failed)
