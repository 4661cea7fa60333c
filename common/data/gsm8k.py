"""GSM8K-format math word problems (JSON lines, optionally gzip-compressed).

A GSM8K row is ``{"question": ..., "answer": "<worked solution>\\n#### <final answer>"}``; the
gold is the final answer string (thousands separators removed, as GSM8K's own grader does).
GSM8K's train and test sets ship with the package (``common/data/corpora/gsm8k/``, MIT):
``bundled_path("gsm8k_train")`` / ``bundled_path("gsm8k_test")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.data.errors import DataFormatError
from common.data.jsonl import iter_jsonl, require
from common.data.types import Example

ANSWER_MARK = "####"


def load_gsm8k(path: str | Path) -> list[Example]:
    """GSM8K JSON lines -> Examples with metric ``math_exact`` and the final answer as gold.

    Raises:
        DataFormatError: a row lacks ``question`` / ``answer`` or its answer has no
            ``#### <final>`` line.
    """
    path = Path(path)
    examples = []
    for line, row in iter_jsonl(path):
        question = require(row, "question", str, path, line).strip()
        if not question:
            raise DataFormatError(path, line, "question", "empty question")
        answer = require(row, "answer", str, path, line)
        final = final_answer(answer)
        if final is None:
            raise DataFormatError(path, line, "answer", f"no '{ANSWER_MARK} <final answer>' line")
        examples.append(_example(question, final, answer, {"source": str(path), "line": line}))
    return examples


def final_answer(solution: str) -> str | None:
    """The text after the last ``####``, commas dropped (``"#### 1,200"`` -> ``"1200"``)."""
    if ANSWER_MARK not in solution:
        return None
    final = solution.rsplit(ANSWER_MARK, 1)[1].strip().replace(",", "")
    return final or None


def _example(question: str, final: str, solution: str, meta: dict[str, Any]) -> Example:
    return Example(
        prompt=question,
        gold=final,
        metric="math_exact",
        task_name="gsm8k",
        task_type="math",
        meta={**meta, "solution": solution},
    )
