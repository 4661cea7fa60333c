"""Entailment scorers (premise -> hypothesis) behind one interface, for ALCE's citation and
claim metrics.

- :class:`EmbeddingNLI` is the offline default. It is a WEAK PROXY for a real NLI model: a
  small MLP over frozen all-MiniLM-L6-v2 sentence embeddings, trained in ~10-30 s on CPU on
  pairs that :mod:`common.rewards.nli_pairs` generates from a synthetic corpus (no NLI data or
  model can be downloaded here), then cached. Its held-out accuracy is measured on generated
  pairs of the same synthetic distribution (premises never seen in training) and is stored in
  ``heldout_accuracy``; with the defaults (600 premises, seed 0) it is 0.94 (swapped
  entities/numbers 0.80, paraphrases 0.96), against about 0.70 for the embedding features
  alone; chance is 0.5. Expect much worse on real text: it knows lexical overlap,
  numbers and explicit negation, not world knowledge or multi-hop reasoning. Use a real model
  (below) for any number reported as ALCE.
- :class:`HFSeq2SeqNLI`: a text-to-text NLI model such as T5 TRUE
  (``google/t5_xxl_true_nli_mixture``, ALCE's AutoAIS model), any hub id or local path.
- :class:`HFSequenceClassificationNLI`: an MNLI-style classifier; the entailment class is
  looked up in ``config.id2label``.

:func:`build_nli` makes one by name.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

T5_TRUE = "google/t5_xxl_true_nli_mixture"


class NLIScorer(ABC):
    """Batched entailment: one probability and one decision per (premise, hypothesis) pair."""

    batch_size: int = 32

    @abstractmethod
    def probs(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        """P(premise entails hypothesis), float array of shape (B,) in [0, 1]."""

    def entails(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        """Entailment decisions, bool array of shape (B,)."""
        return self.probs(premises, hypotheses) >= 0.5


def _as_pairs(premises: Sequence[str], hypotheses: Sequence[str]) -> tuple[list[str], list[str]]:
    if len(premises) != len(hypotheses):
        raise ValueError(f"{len(premises)} premises but {len(hypotheses)} hypotheses")
    return [p or "" for p in premises], [h or "" for h in hypotheses]


# ----------------------------------------------------------------------------- offline proxy

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


@contextlib.contextmanager
def _one_thread():
    """Train on one thread: on a shared 2-core machine two torch threads were 2-25x slower
    than one (they spin waiting for each other), and one thread is bit-reproducible."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _mlp(in_dim: int, hidden: int):
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(in_dim, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
    )


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

        from common.assets import sentence_embedder

        self.embedder_name = embedder
        self.embedder = sentence_embedder(embedder)
        self.batch_size = batch_size
        self.seed, self.hidden = seed, hidden
        path = self._cache_path(cache_dir, embedder, n_premises, seed, hidden, epochs)
        if path.exists() and not retrain:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        else:
            blob = self._train(n_premises, seed, hidden, epochs)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            torch.save(blob, tmp)
            os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
        self.net = _mlp(int(blob["in_dim"]), hidden)
        self.net.load_state_dict(blob["state_dict"])
        self.net.eval()
        self.heldout_accuracy = float(blob["heldout_accuracy"])
        self.heldout_by_kind = {k: float(v) for k, v in blob["heldout_by_kind"].items()}
        self.cache_path = path

    @classmethod
    def _cache_path(cls, cache_dir, embedder, n_premises, seed, hidden, epochs) -> Path:
        if cache_dir is None:
            from common.assets import cache_dir as default_cache

            cache_dir = default_cache() / "nli"
        tag = hashlib.sha1(embedder.encode()).hexdigest()[:8]
        name = f"embedding_nli_v{cls.VERSION}_{tag}_n{n_premises}_s{seed}_h{hidden}_e{epochs}.pt"
        return Path(cache_dir) / name

    def features(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        """Feature matrix, shape (B, 4*d + 4), float32."""
        premises, hypotheses = _as_pairs(premises, hypotheses)
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

        from common.rewards.nli_pairs import generate_pairs

        t0 = time.time()
        pairs = generate_pairs(n_premises=n_premises, seed=seed)
        with _one_thread():
            x = self.features([p.premise for p in pairs], [p.hypothesis for p in pairs])
        x = torch.from_numpy(x)
        y = torch.tensor([float(p.entailed) for p in pairs])
        # split by premise so held-out pairs never share a document with training pairs
        heldout = torch.tensor([p.group % 5 == 0 for p in pairs])
        with torch.random.fork_rng(devices=[]), _one_thread():
            torch.manual_seed(seed)
            net = _mlp(x.shape[1], hidden)
            opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-3)
            xt, yt = x[~heldout], y[~heldout]
            for _ in range(epochs):  # full batch: ~2k rows, deterministic and fast
                opt.zero_grad()
                loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xt)[:, 0], yt)
                loss.backward()
                opt.step()
        with torch.no_grad():
            pred = net(x[heldout])[:, 0] > 0
        correct = (pred == y[heldout].bool()).numpy()
        kinds = np.array([p.kind for p in pairs])[heldout.numpy()]
        by_kind = {str(k): float(correct[kinds == k].mean()) for k in sorted(set(kinds))}
        acc = float(correct.mean())
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


# ----------------------------------------------------------------------------- real models


def _load_hf(model: Any, tokenizer: Any, auto_model_cls: Any, **load_kw: Any):
    """A loaded model/tokenizer pair from objects or from a hub id / local path."""
    from transformers import AutoTokenizer

    if isinstance(model, (str, os.PathLike)):
        model = auto_model_cls.from_pretrained(str(model), **load_kw)
    if tokenizer is None:
        tokenizer = model.name_or_path
    if isinstance(tokenizer, (str, os.PathLike)):
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer))
    if tokenizer.pad_token is None:  # batching needs one; GPT-2-style tokenizers have none
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer


def _batches(n: int, size: int):
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


class HFSeq2SeqNLI(NLIScorer):
    """Text-to-text NLI (T5 TRUE by default): input ``premise: {p} hypothesis: {h}``, the
    model answers "1" (entailed) or "0".

    ALCE decodes up to 10 tokens and checks the text is "1"; here one decoder step is run and
    the pair is entailed when "1" is the most likely first token, which is the same decision
    for a model that answers with one token, at a tenth of the cost. ``probs`` is
    P("1") / (P("0") + P("1")) at that step.
    """

    def __init__(
        self,
        model: Any = T5_TRUE,
        tokenizer: Any = None,
        batch_size: int = 8,
        max_length: int = 512,
        template: str = "premise: {premise} hypothesis: {hypothesis}",
        positive: str = "1",
        negative: str = "0",
        **load_kw: Any,
    ) -> None:
        from transformers import AutoModelForSeq2SeqLM

        self.model, self.tokenizer = _load_hf(model, tokenizer, AutoModelForSeq2SeqLM, **load_kw)
        self.batch_size, self.max_length, self.template = batch_size, max_length, template
        self.pos_id, self.neg_id = self._token_id(positive), self._token_id(negative)
        self.start_id = self._decoder_start_id()

    def _token_id(self, text: str) -> int:
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(f"label {text!r} is {len(ids)} tokens for this tokenizer; need 1")
        return int(ids[0])

    def _decoder_start_id(self) -> int:
        for cfg in (self.model.generation_config, self.model.config):
            value = getattr(cfg, "decoder_start_token_id", None)
            if value is not None:
                return int(value)
        return int(self.model.config.pad_token_id)  # T5's convention

    def first_step_logits(self, premises: Sequence[str], hypotheses: Sequence[str]):
        """Logits of the first decoded token, tensor of shape (B, V)."""
        import torch

        premises, hypotheses = _as_pairs(premises, hypotheses)
        texts = [
            self.template.format(premise=p, hypothesis=h)
            for p, h in zip(premises, hypotheses, strict=True)
        ]
        device = next(self.model.parameters()).device
        out = []
        for sl in _batches(len(texts), self.batch_size):
            enc = self.tokenizer(
                texts[sl],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.max_length,
            ).to(device)
            start = torch.full((enc["input_ids"].shape[0], 1), self.start_id, device=device)
            with torch.inference_mode():
                logits = self.model(
                    input_ids=enc["input_ids"],
                    attention_mask=enc["attention_mask"],
                    decoder_input_ids=start,
                ).logits
            out.append(logits[:, 0].float().cpu())
        return torch.cat(out) if out else torch.zeros(0, self.model.config.vocab_size)

    def probs(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        logits = self.first_step_logits(premises, hypotheses)
        two = logits[:, [self.neg_id, self.pos_id]].softmax(-1)
        return two[:, 1].double().numpy()

    def entails(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        logits = self.first_step_logits(premises, hypotheses)
        return (logits.argmax(-1) == self.pos_id).numpy()


class HFSequenceClassificationNLI(NLIScorer):
    """MNLI-style classifier over the pair (premise, hypothesis): entailed when the
    entailment class (found in ``config.id2label``, or named by ``entailment_label``) is the
    argmax; ``probs`` is its softmax probability."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        batch_size: int = 16,
        max_length: int = 512,
        entailment_label: str | None = None,
        **load_kw: Any,
    ) -> None:
        from transformers import AutoModelForSequenceClassification

        self.model, self.tokenizer = _load_hf(
            model, tokenizer, AutoModelForSequenceClassification, **load_kw
        )
        self.batch_size, self.max_length = batch_size, max_length
        self.entail_index = self._entail_index(entailment_label)

    def _entail_index(self, wanted: str | None) -> int:
        labels = {int(i): str(name) for i, name in self.model.config.id2label.items()}
        for i, name in labels.items():
            if (wanted is not None and name == wanted) or (
                wanted is None and name.lower().startswith("entail")
            ):
                return i
        raise ValueError(
            f"no entailment label in config.id2label {labels}; pass entailment_label=..."
        )

    def probs(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        return self._softmax(premises, hypotheses)[:, self.entail_index]

    def entails(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        return self._softmax(premises, hypotheses).argmax(-1) == self.entail_index

    def _softmax(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape (B, num_labels)."""
        import torch

        premises, hypotheses = _as_pairs(premises, hypotheses)
        device = next(self.model.parameters()).device
        out = [np.zeros((0, self.model.config.num_labels))]
        for sl in _batches(len(premises), self.batch_size):
            enc = self.tokenizer(
                premises[sl],
                hypotheses[sl],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.max_length,
            ).to(device)
            with torch.inference_mode():
                logits = self.model(**enc).logits
            out.append(logits.float().softmax(-1).double().cpu().numpy())
        return np.concatenate(out)


# ----------------------------------------------------------------------------- factory


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
