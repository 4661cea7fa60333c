"""Loader for ALCE (Gao et al., 2023) long-form QA files with retrieved documents.

An ALCE file is a JSON list of objects with ``question``, ``docs`` ([{title, text}, ...]) and
either ``qa_pairs`` ([{question, short_answers}, ...], ASQA) or ``claims`` ([str, ...], ELI5);
``answer`` (a reference long answer) is optional. The prompt follows ALCE's default
instruction and document layout so citations ``[k]`` refer to the k-th listed document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.data.errors import DataFormatError
from common.data.jsonl import iter_records
from common.data.types import Example

DEFAULT_NDOC = 5

# ALCE's default instruction (prompts/asqa_default.json), shared by its ASQA and ELI5 prompts.
INSTRUCTION = (
    "Instruction: Write an accurate, engaging, and concise answer for the given question using "
    "only the provided search results (some of which might be irrelevant) and cite them "
    "properly. Use an unbiased and journalistic tone. Always cite for any factual claim. When "
    "citing several search results, use [1][2][3]. Cite at least one document and at most "
    "three documents in each sentence. If multiple documents support the sentence, only cite a "
    "minimum sufficient subset of the documents."
)


def load_alce(path: str | Path, ndoc: int = DEFAULT_NDOC) -> list[Example]:
    """Load an ALCE file (a JSON list; JSON lines are accepted too).

    Args:
        path: the data file.
        ndoc: how many of each row's documents go into the prompt (ALCE's ``ndoc``); 0 gives
            a closed-book prompt. ``gold["docs"]`` holds exactly the documents shown, so a
            citation ``[k]`` resolves to ``gold["docs"][k-1]``.

    Returns:
        Examples with ``gold = {"qa_pairs", "claims", "docs", "answer"}`` and metric
        ``alce_em_recall`` (ASQA rows) or ``alce_claim_recall`` (ELI5 rows).

    Raises:
        DataFormatError: a row is malformed; ``line`` is the 1-based entry number in a JSON
            list (ALCE files are often a single physical line) or the line in JSON lines.
    """
    if ndoc < 0:
        raise ValueError(f"ndoc must be >= 0, got {ndoc}")
    path = Path(path)
    return [_example(row, path, line, ndoc) for line, row in iter_records(path)]


def alce_prompt(question: str, docs: list[dict[str, str]]) -> str:
    """Instruction, the numbered documents, then ``Question: ...\\nAnswer:``."""
    parts = [INSTRUCTION, ""]
    if docs:
        parts += [
            f"Document [{k}](Title: {d['title']}): {d['text']}" for k, d in enumerate(docs, 1)
        ]
        parts.append("")
    parts += [f"Question: {question}", "Answer:"]
    return "\n".join(parts)


def _example(row: dict[str, Any], path: Path, line: int, ndoc: int) -> Example:
    question = row.get("question")
    if not isinstance(question, str) or not question.strip():
        raise DataFormatError(path, line, "question", "missing or empty question")
    docs = _docs(row, path, line)[:ndoc]
    qa_pairs = _qa_pairs(row, path, line)
    claims = _claims(row, path, line)
    if qa_pairs is None and claims is None:
        raise DataFormatError(path, line, "qa_pairs", "neither qa_pairs (ASQA) nor claims (ELI5)")
    answer = row.get("answer")
    if answer is not None and not isinstance(answer, str):
        raise DataFormatError(
            path, line, "answer", f"expected a string, got {type(answer).__name__}"
        )
    is_asqa = qa_pairs is not None
    return Example(
        prompt=alce_prompt(question.strip(), docs),
        gold={"qa_pairs": qa_pairs, "claims": claims, "docs": docs, "answer": answer},
        metric="alce_em_recall" if is_asqa else "alce_claim_recall",
        task_name="asqa" if is_asqa else "eli5",
        task_type="long-form-qa",
        meta={"source": str(path), "line": line, "question": question.strip()},
    )


def _docs(row: dict[str, Any], path: Path, line: int) -> list[dict[str, str]]:
    docs = row.get("docs", [])
    if not isinstance(docs, list):
        raise DataFormatError(path, line, "docs", "expected a list of {title, text} objects")
    out = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
            raise DataFormatError(path, line, f"docs[{i}].text", "missing document text")
        title = doc.get("title", "")
        if not isinstance(title, str):
            raise DataFormatError(path, line, f"docs[{i}].title", "expected a string")
        # Only title and text reach the prompt; ALCE's extra keys (score, summary) stay out of
        # gold so its size does not grow with retrieval by-products.
        out.append({"title": title, "text": doc["text"]})
    return out


def _qa_pairs(row: dict[str, Any], path: Path, line: int) -> list[dict[str, Any]] | None:
    if "qa_pairs" not in row or row["qa_pairs"] is None:
        return None
    pairs = row["qa_pairs"]
    if not isinstance(pairs, list) or not pairs:
        raise DataFormatError(path, line, "qa_pairs", "expected a non-empty list")
    out = []
    for i, pair in enumerate(pairs):
        answers = pair.get("short_answers") if isinstance(pair, dict) else None
        if (
            not isinstance(answers, list)
            or not answers
            or not all(isinstance(a, str) for a in answers)
        ):
            raise DataFormatError(
                path, line, f"qa_pairs[{i}].short_answers", "expected a non-empty list of strings"
            )
        out.append({"question": str(pair.get("question", "")), "short_answers": answers})
    return out


def _claims(row: dict[str, Any], path: Path, line: int) -> list[str] | None:
    if "claims" not in row or row["claims"] is None:
        return None
    claims = row["claims"]
    if not isinstance(claims, list) or not claims or not all(isinstance(c, str) for c in claims):
        raise DataFormatError(path, line, "claims", "expected a non-empty list of strings")
    return claims
