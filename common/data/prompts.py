"""Plain prompt lists (no gold): reward-model-scored generation such as LASeR's long-form
tasks. A ``.txt`` holds one prompt a line; a ``.jsonl`` holds objects with a ``prompt`` field.
"""

from __future__ import annotations

from pathlib import Path

from common.data.errors import DataFormatError
from common.data.jsonl import iter_jsonl, require
from common.data.types import Example

# No metric judges a gold-less prompt: reward models score these, chosen by the run's config.
DEFAULT_METRIC = "reward_model"


def load_prompts(
    path: str | Path, metric: str = DEFAULT_METRIC, task_name: str | None = None
) -> list[Example]:
    """Load prompts as Examples with ``gold=None``.

    Args:
        path: ``.txt`` (blank lines skipped; no escaping, so a prompt is one line) or
            ``.jsonl`` (``prompt`` field required; ``task_name`` per row optional).
        metric: the metric name put on every Example.
        task_name: defaults to the file's stem.

    Raises:
        DataFormatError: a JSON-lines row without a non-empty string ``prompt``.
    """
    path = Path(path)
    task = task_name or path.stem
    if path.suffix == ".jsonl":
        examples = []
        for line, row in iter_jsonl(path):
            prompt = require(row, "prompt", str, path, line)
            if not prompt.strip():
                raise DataFormatError(path, line, "prompt", "empty prompt")
            examples.append(
                Example(
                    prompt=prompt,
                    gold=None,
                    metric=metric,
                    task_name=str(row.get("task_name") or task),
                    meta={"source": str(path), "line": line},
                )
            )
        return examples
    with path.open(encoding="utf-8") as fh:
        return [
            Example(
                prompt=text.strip(),
                gold=None,
                metric=metric,
                task_name=task,
                meta={"source": str(path), "line": line},
            )
            for line, text in enumerate(fh, start=1)
            if text.strip()
        ]
