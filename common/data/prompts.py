"""Plain prompt lists (no gold): reward-model-scored generation such as LASeR's long-form
tasks. A ``.txt`` holds one prompt a line; a ``.jsonl`` holds objects with a ``prompt`` field
and optionally ``task_name``, ``category`` (instruction type, e.g. ``email``) and ``reference``
(an example answer, kept in ``meta``; it is not a gold: no metric reads it).
"""

from __future__ import annotations

from pathlib import Path

from common.data.errors import DataFormatError
from common.data.jsonl import iter_jsonl, iter_lines, require
from common.data.types import Example

# No metric judges a gold-less prompt: reward models score these, chosen by the run's config.
DEFAULT_METRIC = "reward_model"


def load_prompts(
    path: str | Path, metric: str = DEFAULT_METRIC, task_name: str | None = None
) -> list[Example]:
    """Load prompts as Examples with ``gold=None``.

    Args:
        path: ``.txt`` (blank lines skipped; no escaping, so a prompt is one line) or
            ``.jsonl`` (``prompt`` field required; ``task_name``, ``category`` and
            ``reference`` per row optional). A row's ``category`` goes to
            ``meta["category"]`` and is its task name unless the row has a ``task_name``,
            so per-task aggregation and LASeR's per-category arm use follow it.
        metric: the metric name put on every Example.
        task_name: defaults to the file's stem.

    Raises:
        DataFormatError: a JSON-lines row without a non-empty string ``prompt``, or a line
            that is not valid UTF-8 (file and line named).
    """
    path = Path(path)
    task = task_name or path.stem
    if path.suffix == ".jsonl":
        examples = []
        for line, row in iter_jsonl(path):
            prompt = require(row, "prompt", str, path, line)
            if not prompt.strip():
                raise DataFormatError(path, line, "prompt", "empty prompt")
            meta: dict[str, object] = {"source": str(path), "line": line}
            category = row.get("category")
            if category is not None:
                meta["category"] = str(category)
            if row.get("reference") is not None:
                meta["reference"] = str(row["reference"])
            examples.append(
                Example(
                    prompt=prompt,
                    gold=None,
                    metric=metric,
                    task_name=str(row.get("task_name") or category or task),
                    meta=meta,
                )
            )
        return examples
    return [
        Example(
            prompt=text.strip(),
            gold=None,
            metric=metric,
            task_name=task,
            meta={"source": str(path), "line": line},
        )
        for line, text in iter_lines(path)
        if text.strip()
    ]
