"""``mauve_fluency``: MAUVE (Pillutla et al. 2021) between a batch's outputs and its golds'
reference texts, as ALCE reports fluency.

MAUVE is a CORPUS-level metric: it compares the distribution of the outputs with that of the
references, so every sample of a batch gets the same score, the batch's MAUVE (parse
failures get 0). Its value therefore depends on the batch (size and composition); compare
numbers computed on the same evaluation set. Texts are prepared as ALCE's eval.py does: the
output's first line, ``<|im_end|>`` and citation marks removed (:mod:`common.rewards.alce`),
then ``question + " " + text`` cut to 100 words, trailing punctuation stripped; the human side
is ``question + " " + reference`` prepared the same way.

Features (``featurizer``):
- ``"minilm"`` (default, offline): the bundled all-MiniLM-L6-v2 sentence embeddings. Values
  computed this way are NOT comparable with published MAUVE (a warning says so once, and
  :attr:`MauveFluency.comparable_with_published` is False).
- ``"gpt2-large"``: ALCE's official settings, ``mauve.compute_mauve(p_text=..., q_text=...,
  featurize_model_name="gpt2-large", max_text_length=512, batch_size=8)`` (the model must be
  loadable by transformers: the hub, or a local copy on a cluster). Any other featurizer name
  mauve-text accepts works the same way, without the "comparable" label.

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

import logging
import string
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from common.rewards.base import RewardOutput, Scorer
from common.rewards.registry import SCORERS

log = logging.getLogger(__name__)

OFFICIAL_FEATURIZER = "gpt2-large"  # ALCE eval.py's featurize_model_name
OFFICIAL_MAX_TEXT_LENGTH = 512  # ALCE eval.py's max_text_length (tokens)
MINILM = "minilm"


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
    """ALCE's MAUVE input: ``question + " " + text.strip()`` cut to ``max_words`` words,
    trailing punctuation stripped (with no question the leading space vanishes in the split)."""
    words = f"{question} {text.strip()}".split()
    return " ".join(words[:max_words]).rstrip(string.punctuation)


@SCORERS.register("mauve_fluency")
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
        featurizer: str = MINILM,
        max_text_length: int = OFFICIAL_MAX_TEXT_LENGTH,
        batch_size: int = 8,
        first_line_only: bool = True,
    ) -> None:
        """``embedder``: the sentence embedder for ``featurizer="minilm"`` ("default" = the
        bundled all-MiniLM-L6-v2). ``featurizer``: "minilm" or a model name for mauve-text's
        own featurization ("gpt2-large" = ALCE's setting); ``max_text_length`` and
        ``batch_size`` apply to the latter. ``first_line_only``: score the output's first line,
        as ALCE does."""
        try:
            import mauve  # noqa: F401
        except ImportError as err:
            raise ImportError(
                "mauve_fluency needs the optional package mauve-text (GPLv3): "
                "pip install mauve-text"
            ) from err
        self.featurizer = featurizer
        self.max_text_length = max_text_length
        self.batch_size = batch_size
        self.first_line_only = first_line_only
        self.embedder = None
        if featurizer == MINILM:
            from common.models.assets import sentence_embedder

            self.embedder = sentence_embedder(embedder)
            log.warning(
                "mauve_fluency: MiniLM features (offline default); MAUVE values are NOT "
                "comparable with published MAUVE (ALCE uses featurizer=%s)",
                OFFICIAL_FEATURIZER,
            )
        self.min_samples = min_samples
        self.max_words = max_words
        self.use_question = use_question
        self.seed = seed
        self.mauve_scaling_factor = mauve_scaling_factor
        self.last_mode = ""
        self.last_corpus_score = float("nan")

    @property
    def comparable_with_published(self) -> bool:
        """True only with ALCE's official featurizer and text length."""
        return (
            self.featurizer == OFFICIAL_FEATURIZER
            and self.max_text_length == OFFICIAL_MAX_TEXT_LENGTH
        )

    def scored_part(self, output: Any) -> Any:
        """The junk guard checks only the line MAUVE reads (ALCE's first line)."""
        from common.rewards.alce import prepare_output

        if not isinstance(output, str):
            return output
        return prepare_output(output, self.first_line_only) or ""

    def _output_text(self, output: Any) -> str | None:
        """ALCE's normalized output: first line, ``<|im_end|>`` and citations removed."""
        from common.rewards.alce import prepare_output, remove_citations

        text = prepare_output(output, self.first_line_only)
        text = remove_citations(text) if text is not None else None
        return text if text and text.strip() else None

    def _mauve_from_text(self, p_text: list[str], q_text: list[str]) -> float:
        """mauve-text featurizing with ``self.featurizer`` (ALCE: gpt2-large, 512 tokens)."""
        import mauve
        import torch

        result = mauve.compute_mauve(
            p_text=p_text,
            q_text=q_text,
            featurize_model_name=self.featurizer,
            max_text_length=self.max_text_length,
            device_id=0 if torch.cuda.is_available() else -1,
            batch_size=self.batch_size,
            seed=self.seed,
            verbose=False,
            mauve_scaling_factor=self.mauve_scaling_factor,
        )
        return float(result.mauve)

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
            text = self._output_text(output)
            failed[i] = text is None
            out_texts.append(prepare_text(text, question, self.max_words) if text else None)

        valid_out = [i for i in range(n) if out_texts[i]]
        valid_ref = [i for i in range(n) if ref_texts[i]]
        if not valid_out:
            self.last_mode, self.last_corpus_score = "empty", 0.0
            return RewardOutput(self.name, scores, failed)
        if self.embedder is None:  # mauve-text featurizes the texts itself (ALCE's way)
            value = self._mauve_from_text(
                [ref_texts[i] for i in valid_ref], [out_texts[i] for i in valid_out]
            )
            self.last_mode, self.last_corpus_score = "mauve", value
            scores[valid_out] = float(np.clip(value, 0.0, 1.0))
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
