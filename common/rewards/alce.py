"""ALCE metrics (Gao et al. 2023, "Enabling Large Language Models to Generate Text with
Citations"), with the rules of the official ``eval.py`` (princeton-nlp/ALCE):

- the output is stripped, cut at its first newline (``first_line_only``) and every
  ``<|im_end|>`` is removed, in that order, as eval.py does;
- ``alce_em_recall`` (ASQA STR-EM): the fraction of the gold's ``qa_pairs`` for which some
  normalized ``short_answers`` entry is a substring of the normalized, citation-free output;
  ``alce_str_hit`` (ASQA STR-HIT): 1 when every pair is found, else 0;
- ``alce_claim_recall`` (ELI5): the fraction of the gold's ``claims`` that the citation-free
  output entails;
- ``alce_citation_rec`` / ``_prec``: sentences are split with NLTK's Punkt English
  (``nltk.sent_tokenize``, data bundled: :mod:`common.text.sentences`); citations are
  ``[k]``, 1-based into ``gold["docs"]``. A sentence is supported when the concatenation of
  its cited documents entails it (citation marks removed). A sentence with no citation is
  unsupported; so is one citing an id past the documents (eval.py's rule; its citations are
  then not counted for precision either; ``out_of_range="ignore"`` drops such ids instead).
  ``[0]`` is not out of range for eval.py: its 1-based parse makes it index -1, the LAST
  document, and this module does the same so the numbers match. Only the first
  ``at_most_citations`` (3) ids count. Precision: every citation of a supported
  single-citation sentence is relevant; in a supported multi-citation sentence a citation is
  irrelevant when (a) it alone does not entail the sentence and (b) the other citations
  still do. Precision = relevant / counted citations (0 when none).
- ``alce_citation_f1`` is this project's own figure (the per-sample harmonic mean of the two,
  averaged like them), a training reward: eval.py reports no citation F1.

Averaging: eval.py skips outputs with no sentence when it averages citation recall and
precision, so those scorers aggregate with ``mean_scored`` (``counts["scored"]`` marks the
rows that have a sentence): every reported figure (run evaluation, ``summary.json``, compare
tables) uses that average, while the per-sample training reward of such a row stays 0.
STR-EM, STR-HIT and claim recall average over every row, empty outputs included, as eval.py.
An empty output is scored by eval.py's rule in those averages (STR-EM/HIT: a short answer
that normalizes to "" is present in it, so such a pair counts as found; ``counts["reported"]``
and ``mean_reported``), while its per-sample training reward stays 0 (the junk guard).

Documents are formatted ``"Title: {title}\\n{text}"`` (``sent`` instead of ``text`` for
ALCE's QA-extracted docs) and joined with newlines. The NLI model is configurable
(:func:`common.rewards.nli.build_nli`); the offline default is a weak proxy, so official
numbers need ``nli="t5-true"``. Unparseable outputs (None, empty, no sentence) score 0 with
``parse_failed``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from common.rewards.base import RewardOutput, Scorer, gold_parse_problem
from common.rewards.nli import NLIScorer, build_nli
from common.rewards.registry import SCORERS
from common.text.sentences import split_sentences as punkt_sentences

_CITATION = re.compile(r"\[(\d+)")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalization: lowercase, drop punctuation and articles, squeeze whitespace."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def remove_citations(text: str) -> str:
    """Drop ``[k]`` marks (and the space before them) the way ALCE does: ``[k`` openings,
    `` |`` separators and every ``]``."""
    return re.sub(r" ?\[\d+", "", text).replace(" |", "").replace("]", "")


IM_END = "<|im_end|>"


def prepare_output(output: Any, first_line_only: bool = True) -> str | None:
    """The text ALCE scores: stripped, cut at the first newline, ``<|im_end|>`` removed (in
    eval.py's order, so no strip follows the removal); None when nothing is left."""
    if not isinstance(output, str):
        return None
    text = output.strip()
    if first_line_only:
        text = text.split("\n")[0]
    text = text.replace(IM_END, "")
    return text if text.strip() else None


def split_sentences(text: str) -> list[str]:
    """``nltk.sent_tokenize(text)`` (Punkt English, as eval.py), bundled data."""
    return punkt_sentences(text)


def format_document(doc: Mapping[str, Any]) -> str:
    body = doc["sent"] if "sent" in doc else doc.get("text", "")
    return f"Title: {doc.get('title', '')}\n{body}"


def _require(gold: Any, key: str, metric: str, allow_empty: bool = False) -> list[Any]:
    """``gold[key]`` as a list; a gold without it is a data bug, so it raises."""
    value = gold.get(key) if isinstance(gold, Mapping) else None
    if value is None or (not value and not allow_empty):
        raise ValueError(f"{metric}: gold must be a dict with a non-empty {key!r} list")
    return list(value)


def entail_unique(nli: NLIScorer, pairs: Sequence[tuple[str, str]]) -> list[bool]:
    """One batched NLI call over the distinct (premise, hypothesis) pairs."""
    unique = list(dict.fromkeys(pairs))
    if not unique:
        return []
    flags = nli.entails([p for p, _ in unique], [h for _, h in unique])
    lookup = dict(zip(unique, (bool(f) for f in flags), strict=True))
    return [lookup[p] for p in pairs]


def _without(refs: list[int], ref: int) -> list[int]:
    """``refs`` less the first occurrence of ``ref`` (ALCE's ``list.remove``, which matters
    for the premise's doc order when a doc is cited twice)."""
    rest = list(refs)
    rest.remove(ref)
    return rest


class _ALCEScorer(Scorer):
    """An ALCE scorer reads only :func:`prepare_output`'s text (the first line), so the junk
    guard checks only that: degenerate text after the first line does not zero the row."""

    first_line_only: bool = True

    gold_key: str = "qa_pairs"  # the gold field the scorer reads

    @classmethod
    def gold_problem(cls, gold: Any, options: Any = None) -> str | None:
        allow_empty = cls.gold_key == "docs"  # a row may come with no documents
        return gold_parse_problem(lambda g: _require(g, cls.gold_key, cls.name, allow_empty), gold)

    def scored_part(self, output: Any) -> Any:
        if not isinstance(output, str):
            return output
        return prepare_output(output, self.first_line_only) or ""


@SCORERS.register("alce_em_recall")
class ALCEEMRecall(_ALCEScorer):
    """ASQA STR-EM; gold: ``{"qa_pairs": [{"short_answers": [str, ...]}, ...]}``. The reported
    average (``mean_reported``) follows eval.py on empty outputs; the reward gives them 0."""

    aggregation = "mean_reported"

    def __init__(self, first_line_only: bool = True) -> None:
        self.first_line_only = first_line_only

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        scores, failed = np.zeros(len(outputs)), np.zeros(len(outputs), dtype=bool)
        reported = np.zeros(len(outputs))
        for i, (output, gold) in enumerate(zip(outputs, golds, strict=True)):
            qa_pairs = _require(gold, "qa_pairs", self.name)
            text = prepare_output(output, self.first_line_only)
            context = normalize_answer(remove_citations(text or ""))
            hits = [
                any(normalize_answer(a) in context for a in qa["short_answers"]) for qa in qa_pairs
            ]
            # eval.py scores an empty output like any other: an answer that normalizes to ""
            # is "in" it. That is the reported figure; as a reward an empty output stays 0.
            reported[i] = self.combine(hits)
            if text is None:
                failed[i] = True
                continue
            scores[i] = reported[i]
        return RewardOutput(self.name, scores, failed, {"reported": reported})

    def combine(self, hits: list[bool]) -> float:
        """STR-EM: the fraction of question-answer pairs found."""
        return float(np.mean(hits))


@SCORERS.register("alce_str_hit")
class ALCEStrHit(ALCEEMRecall):
    """ASQA STR-HIT: 1 when every question-answer pair is found (STR-EM == 1), else 0."""

    def combine(self, hits: list[bool]) -> float:
        return float(np.mean(hits) == 1)


class _ALCENLIScorer(_ALCEScorer):
    """Shared set-up of the scorers that need an NLI model."""

    def __init__(
        self,
        nli: NLIScorer | str = "default",
        nli_kwargs: Mapping[str, Any] | None = None,
        first_line_only: bool = True,
        at_most_citations: int = 3,
        out_of_range: Literal["reject_sentence", "ignore"] = "reject_sentence",
    ) -> None:
        self.nli = nli if isinstance(nli, NLIScorer) else build_nli(nli, **dict(nli_kwargs or {}))
        self.first_line_only = first_line_only
        self.at_most_citations = at_most_citations
        if out_of_range not in ("reject_sentence", "ignore"):
            raise ValueError(
                f"out_of_range must be 'reject_sentence' or 'ignore', not {out_of_range!r}"
            )
        self.out_of_range = out_of_range


@SCORERS.register("alce_claim_recall")
class ALCEClaimRecall(_ALCENLIScorer):
    """ELI5 claim recall; gold: ``{"claims": [str, ...]}``."""

    gold_key = "claims"

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        scores, failed = np.zeros(len(outputs)), np.zeros(len(outputs), dtype=bool)
        pairs, owner = [], []
        for i, (output, gold) in enumerate(zip(outputs, golds, strict=True)):
            claims = _require(gold, "claims", self.name)
            text = prepare_output(output, self.first_line_only)
            if text is None:
                failed[i] = True
                continue
            premise = remove_citations(text)
            pairs += [(premise, str(c)) for c in claims]
            owner += [i] * len(claims)
        flags = entail_unique(self.nli, pairs)
        for i in set(owner):
            mine = [f for f, o in zip(flags, owner, strict=True) if o == i]
            scores[i] = sum(mine) / len(mine)
        return RewardOutput(self.name, scores, failed)


class _ALCECitation(_ALCENLIScorer):
    """Citation recall and precision of a batch; subclasses pick which to report. Rows with
    no sentence are left out of the reported average (``mean_scored``), as in eval.py."""

    gold_key = "docs"

    aggregation = "mean_scored"

    def _refs(self, sentence: str, n_docs: int) -> list[int] | None:
        """0-based cited doc ids to check, or None when the sentence is unsupported as cited."""
        refs = [int(k) - 1 for k in _CITATION.findall(sentence)]
        # eval.py rejects ids >= len(docs) only; "[0]" gives -1, which indexes the last doc
        # (with no docs at all there is none: out of range here, an IndexError there).
        valid = [r for r in refs if r < n_docs and (r >= 0 or n_docs > 0)]
        if self.out_of_range == "ignore":
            refs = valid
        elif len(valid) < len(refs):
            return None
        return refs[: self.at_most_citations] or None

    def recall_precision(
        self, outputs: Sequence[str], golds: Sequence[Any]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-sample citation recall, precision and parse-failure flags, each shape (B,)."""
        n = len(outputs)
        recall, precision, failed = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
        n_sents, n_cites, relevant = np.zeros(n), np.zeros(n), np.zeros(n)
        checks: list[tuple[int, list[str], list[int], str]] = []  # (sample, docs, refs, hyp)
        for i, (output, gold) in enumerate(zip(outputs, golds, strict=True)):
            docs = [format_document(d) for d in _require(gold, "docs", self.name, allow_empty=True)]
            text = prepare_output(output, self.first_line_only)
            sentences = split_sentences(text) if text is not None else []
            if not sentences:
                failed[i] = True
                continue
            n_sents[i] = len(sentences)
            for sentence in sentences:
                refs = self._refs(sentence, len(docs))
                if refs is not None:
                    n_cites[i] += len(refs)
                    checks.append((i, docs, refs, remove_citations(sentence).strip()))

        def joined(docs: list[str], refs: list[int]) -> str:
            return "\n".join(docs[r] for r in refs)

        supported = entail_unique(self.nli, [(joined(d, r), h) for _, d, r, h in checks])
        multi = []  # (sample, docs, refs, hyp, position of the citation under test)
        for (i, docs, refs, hyp), ok in zip(checks, supported, strict=True):
            if not ok:
                continue
            recall[i] += 1
            if len(refs) == 1:
                relevant[i] += 1
            else:
                multi += [(i, docs, refs, hyp, k) for k in range(len(refs))]
        alone = entail_unique(self.nli, [(d[r[k]], h) for _, d, r, h, k in multi])
        # condition (b) is only asked of citations that fail condition (a)
        rest_checks = [m for m, a in zip(multi, alone, strict=True) if not a]
        rest = entail_unique(
            self.nli, [(joined(d, _without(r, r[k])), h) for _, d, r, h, k in rest_checks]
        )
        for (i, *_), a in zip(multi, alone, strict=True):
            relevant[i] += a
        for (i, *_), still_entailed in zip(rest_checks, rest, strict=True):
            relevant[i] += not still_entailed
        recall = np.divide(recall, n_sents, out=np.zeros(n), where=n_sents > 0)
        precision = np.divide(relevant, n_cites, out=np.zeros(n), where=n_cites > 0)
        return recall, precision, failed

    def pick(self, recall: np.ndarray, precision: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        recall, precision, failed = self.recall_precision(outputs, golds)
        scored = (~failed).astype(np.int64)  # rows with at least one sentence
        return RewardOutput(
            self.name, self.pick(recall, precision), failed, counts={"scored": scored}
        )


@SCORERS.register("alce_citation_rec")
class ALCECitationRecall(_ALCECitation):
    """Fraction of output sentences supported by their citations; gold: ``{"docs": [...]}``."""

    def pick(self, recall: np.ndarray, precision: np.ndarray) -> np.ndarray:
        return recall


@SCORERS.register("alce_citation_prec")
class ALCECitationPrecision(_ALCECitation):
    """Fraction of counted citations that are relevant; gold: ``{"docs": [...]}``."""

    def pick(self, recall: np.ndarray, precision: np.ndarray) -> np.ndarray:
        return precision


@SCORERS.register("alce_citation_f1")
class ALCECitationF1(_ALCECitation):
    """Harmonic mean of the per-sample citation recall and precision (0 when both are 0).

    This project's own figure (a training reward that needs both), not an eval.py number."""

    def pick(self, recall: np.ndarray, precision: np.ndarray) -> np.ndarray:
        total = recall + precision
        return np.divide(2 * recall * precision, total, out=np.zeros_like(total), where=total > 0)
