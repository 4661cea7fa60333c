"""GSM8K-format math word problems: the real JSON-lines files and generated ones.

A GSM8K row is ``{"question": ..., "answer": "<worked solution>\\n#### <final answer>"}``; the
gold is the final answer string (thousands separators removed, as GSM8K's own grader does).
:func:`generate_gsm` draws fresh GSM-style problems from ``reasoning-gym``'s ``gsm_symbolic``
generator, which ships on PyPI (GSM8K itself cannot be downloaded here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.data.errors import DataFormatError
from common.data.jsonl import iter_jsonl, require
from common.data.types import Example

ANSWER_MARK = "####"
GENERATOR = "gsm_symbolic"


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


def gsm_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` GSM-style problems from reasoning-gym as GSM8K rows ``{question, answer}``,
    deterministic in ``seed``. The answer is the generator's worked solution ending in
    ``#### <final>``."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    import reasoning_gym  # imported here: only generation needs it, loading real files does not

    rows = []
    for entry in reasoning_gym.create_dataset(GENERATOR, size=n, seed=seed):
        final = str(entry["answer"]).strip()
        cot = str(entry.get("metadata", {}).get("answer_cot", "")).strip()
        # Some templates end the worked solution with "#### 36.0" while the graded answer is
        # "36": the final line is rewritten from the answer field, which is what gets graded.
        body = cot.rsplit(ANSWER_MARK, 1)[0].rstrip()
        solution = f"{body}\n{ANSWER_MARK} {final}" if body else f"{ANSWER_MARK} {final}"
        rows.append({"question": str(entry["question"]).strip(), "answer": solution})
    return rows


def generate_gsm(n: int, seed: int = 0) -> list[Example]:
    """``n`` generated GSM-style problems as Examples (same shape as :func:`load_gsm8k`)."""
    meta = {"generator": GENERATOR, "seed": seed}
    return [
        _example(r["question"], final_answer(r["answer"]), r["answer"], dict(meta))
        for r in gsm_rows(n, seed)
    ]


def _example(question: str, final: str, solution: str, meta: dict[str, Any]) -> Example:
    return Example(
        prompt=question,
        gold=final,
        metric="math_exact",
        task_name="gsm8k",
        task_type="math",
        meta={**meta, "solution": solution},
    )
