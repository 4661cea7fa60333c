"""ShopBench (Amazon KDD Cup 2024) JSON-lines files: load into Examples, write back.

A row holds ``input_field`` (prompt), ``output_field`` (gold), ``task_name``, ``task_type``,
``metric`` (ShopBench vocabulary, mapped through :data:`SHOPBENCH_METRICS` to a scorer name)
and ``is_multiple_choice``; any other field (``track``) is kept in ``Example.meta``.
Scoring lives in :mod:`common.rewards.shopbench_eval`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.data.errors import DataFormatError
from common.data.jsonl import iter_jsonl, require, write_jsonl
from common.data.types import Example

# ShopBench metric string -> scorer registry name.
SHOPBENCH_METRICS: dict[str, str] = {
    "accuracy": "mc_accuracy",
    "hit rate@3": "hit_at_3",
    "ndcg": "ndcg",
    "micro f1": "ner_f1",
    "rougel": "rouge_l",
    "bleu": "bleu4",
    "jp-bleu": "jp_bleu",
    "sent-transformer": "sent_sim",
    "multilingual-sent-transformer": "multilingual_sim",
}
_SHOPBENCH_NAME = {registry: shopbench for shopbench, registry in SHOPBENCH_METRICS.items()}

_CORE_FIELDS = ("input_field", "output_field", "task_name", "task_type", "metric")
# Meta keys the loader adds; not written back as row fields.
_LOADER_META = ("source", "line", "shopbench_metric", "is_multiple_choice")


def load_shopbench(path: str | Path) -> list[Example]:
    """All rows of a ShopBench JSON-lines file, in file order; blank lines are skipped.

    ``Example.meta`` holds ``source`` (the path), ``line`` (1-based), ``shopbench_metric``
    (the metric string as written), ``is_multiple_choice`` and any extra row fields.

    Raises:
        FileNotFoundError: no such file.
        DataFormatError: the file holds no rows, or a row is not valid JSON, lacks a field,
            has a field of the wrong type or an unknown metric (file, line and field named).
    """
    path = Path(path)
    examples = [_example(obj, path, line) for line, obj in iter_jsonl(path)]
    if not examples:
        raise DataFormatError(path, None, None, "the file is empty: it holds no ShopBench rows")
    return examples


def _example(obj: dict[str, Any], path: Path, line: int) -> Example:
    prompt = require(obj, "input_field", str, path, line)
    task_name = require(obj, "task_name", str, path, line)
    task_type = require(obj, "task_type", str, path, line)
    raw_metric = require(obj, "metric", str, path, line)
    metric = metric_name(raw_metric)
    if metric is None:
        raise DataFormatError(
            path,
            line,
            "metric",
            f"unknown metric {raw_metric!r}; allowed: {', '.join(SHOPBENCH_METRICS)}",
        )
    if "output_field" not in obj:
        raise DataFormatError(path, line, "output_field", "missing field")
    problem = _gold_problem(obj["output_field"], metric, prompt)
    if problem:
        raise DataFormatError(path, line, "output_field", f"{problem} for metric {raw_metric!r}")
    is_mc = obj.get("is_multiple_choice", task_type == "multiple-choice")
    if not isinstance(is_mc, bool):
        raise DataFormatError(
            path, line, "is_multiple_choice", f"expected bool, got {type(is_mc).__name__}"
        )
    extra = {k: v for k, v in obj.items() if k not in _CORE_FIELDS and k != "is_multiple_choice"}
    meta = {
        "source": str(path),
        "line": line,
        "shopbench_metric": raw_metric,
        "is_multiple_choice": is_mc,
        **extra,
    }
    return Example(prompt, obj["output_field"], metric, task_name, task_type, meta)


def metric_name(shopbench_metric: str) -> str | None:
    """Scorer name of a ShopBench metric string (case and surrounding spaces ignored; a
    scorer name passes through), or None when unknown."""
    key = shopbench_metric.strip().lower()
    if key in SHOPBENCH_METRICS:
        return SHOPBENCH_METRICS[key]
    return key if key in _SHOPBENCH_NAME else None


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    """A finite int or float (JSON's NaN / Infinity literals parse, but score as NaN)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


_OPTION = re.compile(r"^\s*(\d+)\.\s", re.MULTILINE)


def option_count(prompt: str) -> int | None:
    """How many numbered options (``0. ...``, ``1. ...``) a multiple-choice prompt lists, or
    None when it lists none in that layout (a rating question)."""
    numbers = [int(m.group(1)) for m in _OPTION.finditer(prompt)]
    if not numbers or numbers[0] != 0:
        return None
    n = 0
    while n in numbers:
        n += 1
    return n


def _gold_problem(gold: Any, metric: str, prompt: str = "") -> str | None:
    """Why ``gold`` cannot be scored by ``metric``, or None when it can. A multiple-choice
    gold must name one of the prompt's numbered options (a -1 would score 0 everywhere)."""
    if metric == "mc_accuracy":
        if not _is_int(gold):
            return f"expected an int option index, got {gold!r}"
        n = option_count(prompt)
        if gold < 0 or (n is not None and gold >= n):
            where = f"the prompt's {n} options (0-{n - 1})" if n else "the options (>= 0)"
            return f"option index {gold} is outside {where}"
        return None
    if metric in ("hit_at_3", "ndcg"):
        check, kind = (_is_int, "ints") if metric == "hit_at_3" else (_is_number, "finite numbers")
        if isinstance(gold, list) and gold and all(check(x) for x in gold):
            return None
        return f"expected a non-empty list of {kind}, got {gold!r}"
    if metric == "ner_f1":
        if isinstance(gold, list) and all(isinstance(x, str) for x in gold):
            return None
        return f"expected a list of strings, got {gold!r}"
    if isinstance(gold, str) or (
        isinstance(gold, list) and gold and all(isinstance(x, str) for x in gold)
    ):
        return None
    return f"expected a reference string or a non-empty list of them, got {gold!r}"


def write_shopbench(path: str | Path, examples: Sequence[Example]) -> None:
    """Write Examples as a ShopBench JSON-lines file that :func:`load_shopbench` reads back
    to equal Examples (the metric goes back to its ShopBench string; extra meta fields such
    as ``track`` become row fields again).

    Raises:
        ValueError: an example's metric has no ShopBench name.
    """
    rows = []
    for i, ex in enumerate(examples):
        if ex.metric not in _SHOPBENCH_NAME:
            raise ValueError(
                f"example {i}: metric {ex.metric!r} has no ShopBench name; "
                f"allowed: {', '.join(_SHOPBENCH_NAME)}"
            )
        written = ex.meta.get("shopbench_metric")
        if not (isinstance(written, str) and metric_name(written) == ex.metric):
            written = _SHOPBENCH_NAME[ex.metric]
        row = {
            "input_field": ex.prompt,
            "output_field": ex.gold,
            "task_name": ex.task_name,
            "task_type": ex.task_type,
            "metric": written,
            "is_multiple_choice": ex.meta.get(
                "is_multiple_choice", ex.task_type == "multiple-choice"
            ),
        }
        row.update({k: v for k, v in ex.meta.items() if k not in _LOADER_META and k not in row})
        rows.append(row)
    write_jsonl(path, rows)
