"""Loaders for Shopping MMLU task files, in the two layouts its release uses.

* Multiple choice: ``<task>_dataset.csv`` with columns ``question``, ``choices`` (a Python
  literal list, or one choice a line) and ``answer`` (the int index of the right choice). The
  prompt is built ShopBench-style: ``question\\n0. a\\n1. b\\n...\\nAnswer: ``, gold the int,
  metric ``mc_accuracy``. Rows without choices (review rating prediction) keep the bare
  question and an int gold.
* Everything else: JSON lines with ``input_field`` (the prompt) and ``target_field`` (the gold;
  ``output_field`` as in ShopBench is accepted too). The metric comes from the row's
  ``metric`` field, else the ``metric=`` argument, else the folder/file name the release uses
  (``ranking/`` -> NDCG, ``*extraction*`` -> ROUGE-L ...), always mapped through
  :data:`SHOPBENCH_METRICS` to a registry name.

A folder loads every task file under it, each with ``task_name`` from its file name.
"""

from __future__ import annotations

import ast
import csv
import io
import math
from pathlib import Path
from typing import Any

from common.data.errors import DataFormatError
from common.data.jsonl import iter_records, read_text
from common.data.shopbench import SHOPBENCH_METRICS, metric_name
from common.data.types import Example

TASK_SUFFIXES = (".csv", ".json", ".jsonl")
TEXT_METRICS = {"rouge_l", "bleu4", "jp_bleu", "sent_sim", "multilingual_sim"}
_TASK_TYPE_OF_METRIC = {
    "mc_accuracy": "multiple-choice",
    "hit_at_3": "retrieval",
    "ndcg": "ranking",
    "ner_f1": "named_entity_recognition",
}
# Shopping MMLU's release keeps each task type in its own folder and decides generation
# metrics from the file name (task_wise_eval/hf_generation.py); files without a metric field
# are resolved the same way.
_FOLDER_METRICS = {
    "multiple_choice": "accuracy",
    "retrieval": "hit rate@3",
    "ranking": "ndcg",
    "named_entity_recognition": "micro f1",
}


def load_shopping_mmlu(path: str | Path, metric: str | None = None) -> list[Example]:
    """Load one Shopping MMLU task file or every task file under a folder.

    Args:
        path: a ``.csv`` / ``.json`` / ``.jsonl`` task file, or a folder of them (searched
            recursively, in sorted order so the result is reproducible).
        metric: default metric for JSON-lines rows without a ``metric`` field, in ShopBench
            vocabulary (``"rougel"``) or as a registry name (``"rouge_l"``).

    Raises:
        FileNotFoundError: the path does not exist, or a folder holds no task file.
        DataFormatError: a row is malformed (the message names file, line and field).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Shopping MMLU path {path} does not exist")
    if path.is_file():
        return _load_file(path, metric)
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and p.suffix in TASK_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise FileNotFoundError(f"no {'/'.join(TASK_SUFFIXES)} task files under {path}")
    examples: list[Example] = []
    for file in files:
        examples.extend(_load_file(file, metric))
    return examples


def task_name_of(path: str | Path) -> str:
    """``.../multiple_choice/attribute_selection_dataset.csv`` -> ``attribute_selection``."""
    stem = Path(path).stem
    return stem[: -len("_dataset")] if stem.endswith("_dataset") else stem


def _load_file(path: Path, metric: str | None) -> list[Example]:
    if path.suffix == ".csv":
        return load_mc_csv(path)
    return load_task_jsonl(path, metric=metric)


def load_mc_csv(path: str | Path, task_name: str | None = None) -> list[Example]:
    """Multiple-choice CSV (``question``, ``choices``, ``answer``) -> Examples."""
    path = Path(path)
    task = task_name or task_name_of(path)
    examples = []
    # Decoded up front so a bad byte is reported with its line, not as a bare
    # UnicodeDecodeError from inside the csv reader.
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    try:
        missing = {"question", "answer"} - set(reader.fieldnames or [])
        if missing:
            raise DataFormatError(path, 1, sorted(missing)[0], "missing column in the header")
        row_start = 2  # line 1 is the header; quoted cells may span lines, so track starts
        for row in reader:
            line = row_start
            row_start = reader.line_num + 1
            examples.append(_mc_example(row, path, line, task))
    except csv.Error as err:
        raise DataFormatError(path, reader.line_num, "<csv>", f"unreadable CSV: {err}") from err
    return examples


def _mc_example(row: dict[str, str | None], path: Path, line: int, task: str) -> Example:
    question = (row.get("question") or "").strip()
    if not question:
        raise DataFormatError(path, line, "question", "empty question")
    choices = _parse_choices(row.get("choices"), path, line)
    answer = _parse_index(row.get("answer"), path, line)
    if choices and not 0 <= answer < len(choices):
        raise DataFormatError(
            path, line, "answer", f"index {answer} outside the {len(choices)} choices"
        )
    return Example(
        prompt=mc_prompt(question, choices),
        gold=answer,
        metric="mc_accuracy",
        task_name=task,
        task_type="multiple-choice",
        meta={"source": str(path), "line": line, "choices": choices},
    )


def mc_prompt(question: str, choices: list[str]) -> str:
    """ShopBench's multiple-choice layout: numbered choices from 0, then ``Answer: ``."""
    lines = [question] + [f"{i}. {c}" for i, c in enumerate(choices)]
    return "\n".join(lines) + "\nAnswer: "


def _parse_choices(cell: str | None, path: Path, line: int) -> list[str]:
    if cell is None or not cell.strip():
        return []
    text = cell.strip()
    if text.startswith("["):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError) as err:
            raise DataFormatError(path, line, "choices", f"unreadable list literal: {err}") from err
        if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
            raise DataFormatError(path, line, "choices", "expected a list of strings")
        choices = [c.strip() for c in value]
    else:
        choices = [c.strip() for c in text.splitlines() if c.strip()]
    if len(choices) < 2:
        raise DataFormatError(path, line, "choices", f"need at least 2 choices, got {len(choices)}")
    return choices


def _parse_index(cell: str | None, path: Path, line: int) -> int:
    text = (cell or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise DataFormatError(
            path, line, "answer", f"expected an int index, got {text!r}"
        ) from None
    if not value.is_integer():
        raise DataFormatError(path, line, "answer", f"expected an int index, got {text!r}")
    return int(value)


def load_task_jsonl(
    path: str | Path, metric: str | None = None, task_name: str | None = None
) -> list[Example]:
    """``input_field`` / ``target_field`` task file (JSON lines, or a JSON list) -> Examples."""
    path = Path(path)
    default_metric = metric or _metric_from_path(path)
    examples = []
    for line, row in iter_records(path):
        prompt = row.get("input_field")
        if not isinstance(prompt, str) or not prompt.strip():
            raise DataFormatError(path, line, "input_field", "missing or empty prompt")
        gold_key = "target_field" if "target_field" in row else "output_field"
        if gold_key not in row:
            raise DataFormatError(path, line, "target_field", "missing field")
        raw_metric = row.get("metric", default_metric)
        if raw_metric is None:
            raise DataFormatError(
                path, line, "metric", "no metric field and none given (pass metric=...)"
            )
        name = resolve_metric(raw_metric)
        if name is None:
            allowed = ", ".join(sorted(SHOPBENCH_METRICS))
            raise DataFormatError(
                path, line, "metric", f"unknown metric {raw_metric!r}; allowed values: {allowed}"
            )
        gold = row[gold_key]
        problem = gold_problem(name, gold)
        if problem:
            raise DataFormatError(path, line, gold_key, problem)
        examples.append(
            Example(
                prompt=prompt,
                gold=gold,
                metric=name,
                task_name=str(row.get("task_name") or task_name or task_name_of(path)),
                task_type=str(row.get("task_type") or _TASK_TYPE_OF_METRIC.get(name, "generation")),
                meta={"source": str(path), "line": line},
            )
        )
    return examples


def resolve_metric(raw: Any) -> str | None:
    """ShopBench metric name or registry name -> registry name; None when unknown."""
    return metric_name(raw) if isinstance(raw, str) else None


def gold_problem(metric: str, gold: Any) -> str | None:
    """Why ``gold`` cannot be judged by ``metric`` (None when it can)."""
    if metric == "mc_accuracy":
        ok = isinstance(gold, int) and not isinstance(gold, bool) and gold >= 0
        return None if ok else f"expected an int choice index >= 0, got {gold!r}"
    if metric == "hit_at_3":
        ok = isinstance(gold, list) and gold and all(_is_int(g) for g in gold)
        return None if ok else f"expected a non-empty list of ints, got {gold!r}"
    if metric == "ndcg":
        ok = isinstance(gold, list) and gold and all(_is_number(g) for g in gold)
        return None if ok else f"expected a list of relevance weights, got {gold!r}"
    if metric == "ner_f1":
        ok = isinstance(gold, list) and all(isinstance(g, str) for g in gold)
        return None if ok else f"expected a list of entity strings, got {gold!r}"
    if metric in TEXT_METRICS:
        ok = (isinstance(gold, str) and gold.strip()) or (
            isinstance(gold, list) and gold and all(isinstance(g, str) for g in gold)
        )
        return None if ok else f"expected a reference string (or list of them), got {gold!r}"
    return None


def _metric_from_path(path: Path) -> str | None:
    folder = path.parent.name
    if folder in _FOLDER_METRICS:
        return _FOLDER_METRICS[folder]
    if folder != "generation":
        return None
    name = path.stem.lower()
    if "extraction" in name:
        return "rougel"
    if "translation" in name:
        return "jp-bleu" if "jp" in name.split("_") else "bleu"
    if "multilingual" in name:
        return "multilingual-sent-transformer"
    return "sent-transformer"


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    """A finite int or float (JSON's NaN / Infinity literals parse, but score as NaN)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
