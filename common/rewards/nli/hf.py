"""Entailment scorers over Hugging Face models (any hub id or local path), behind
:class:`common.rewards.nli.base.NLIScorer`: a text-to-text model such as T5 TRUE (ALCE's AutoAIS
model) and an MNLI-style sequence classifier. :func:`common.rewards.nli.build_nli` picks one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from common.rewards.nli.base import T5_TRUE, NLIScorer, as_pairs


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

        premises, hypotheses = as_pairs(premises, hypotheses)
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

        premises, hypotheses = as_pairs(premises, hypotheses)
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
