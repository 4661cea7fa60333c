"""Entailment scorers (premise -> hypothesis) behind one interface, for ALCE's citation and
claim metrics.

- :class:`EmbeddingNLI` is the offline default. It is a WEAK PROXY for a real NLI model: a
  small MLP over frozen all-MiniLM-L6-v2 sentence embeddings, trained in ~10-30 s on CPU on
  pairs that :mod:`common.rewards.nli.pairs` generates from a synthetic corpus (no NLI data or
  model can be downloaded here), then cached. Its held-out accuracy is measured on generated
  pairs of the same synthetic distribution (premises never seen in training) and is stored in
  ``heldout_accuracy``; with the defaults (600 premises, seed 0) it is 0.94 (swapped
  entities/numbers 0.80, paraphrases 0.96), against about 0.70 for the embedding features
  alone; chance is 0.5. Expect much worse on real text: it knows lexical overlap,
  numbers and explicit negation, not world knowledge or multi-hop reasoning. Use a real model
  (below) for any number reported as ALCE.
- :class:`common.rewards.nli.hf.HFSeq2SeqNLI`: a text-to-text NLI model such as T5 TRUE
  (``google/t5_xxl_true_nli_mixture``, ALCE's AutoAIS model), any hub id or local path.
- :class:`common.rewards.nli.hf.HFSequenceClassificationNLI`: an MNLI-style classifier;
  the entailment class is looked up in ``config.id2label``.

:func:`build_nli` makes one by name.
"""

from __future__ import annotations

import functools
from typing import Any

from common.rewards.nli.base import T5_TRUE, NLIScorer, as_pairs
from common.rewards.nli.embedding import EmbeddingNLI, lexical_features

__all__ = ["T5_TRUE", "EmbeddingNLI", "NLIScorer", "as_pairs", "build_nli", "lexical_features"]


@functools.lru_cache(maxsize=4)
def _shared(name: str) -> NLIScorer:
    return build_nli(name, shared=False)


def build_nli(
    name: str = "default", kind: str | None = None, shared: bool = True, **kw: Any
) -> NLIScorer:
    """An NLI scorer by name.

    Args:
        name: ``default`` / ``embedding`` (offline proxy), ``t5-true`` (ALCE's AutoAIS model),
            or a hub id / local path of an HF model.
        kind: ``seq2seq`` or ``seqcls`` for a hub id / path; inferred from its config
            (encoder-decoder -> seq2seq) when left out.
        shared: with no other options, return one process-wide instance per name, so that
            several ALCE scorers load (or train) a model once.
        **kw: constructor options of the chosen class.
    """
    if shared and not kw and kind is None:
        return _shared(name)
    if name in ("default", "embedding"):
        return EmbeddingNLI(**kw)
    from common.rewards.nli.hf import HFSeq2SeqNLI, HFSequenceClassificationNLI

    if name == "t5-true":
        return HFSeq2SeqNLI(T5_TRUE, **kw)
    if kind is None:
        from transformers import AutoConfig

        kind = "seq2seq" if AutoConfig.from_pretrained(name).is_encoder_decoder else "seqcls"
    if kind == "seq2seq":
        return HFSeq2SeqNLI(name, **kw)
    if kind == "seqcls":
        return HFSequenceClassificationNLI(name, **kw)
    raise ValueError(f"unknown NLI kind {kind!r}; allowed values: seq2seq, seqcls")
