"""The record every loader produces and every consumer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Example:
    """One prompt with its gold answer.

    Attributes:
        prompt: the raw prompt text (chat templating happens in rollout, not here).
        gold: the reference in the format the metric expects (int, list of ints, list of
            strings, a string, or a dict for ALCE).
        metric: registry name of the scorer that judges this example (e.g. ``mc_accuracy``).
        task_name: benchmark task id (``task1``...), used for per-task aggregation.
        task_type: ``multiple-choice``, ``retrieval``, ``ranking``,
            ``named_entity_recognition``, ``generation``, ``long-form-qa``, ``math``...
        meta: anything else the source row carried (docs for ALCE, the source file/line).
    """

    prompt: str
    gold: Any
    metric: str
    task_name: str = "task"
    task_type: str = "generation"
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
