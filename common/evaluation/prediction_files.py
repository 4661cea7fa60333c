"""The predictions file both evaluation CLIs read and write (``experiments.evaluate`` for
ShopBench-format data, ``experiments.evaluate_ifeval`` for IFEval-format data): one JSON
object per line with a ``prediction`` string (or null), in the data file's order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from common.data.errors import DataFormatError
from common.data.jsonl import iter_jsonl


def read_predictions(path: str | Path, expected: int) -> list[str | None]:
    """The ``prediction`` of each line (null allowed: it scores 0), checked against the
    number of data rows.

    Raises:
        DataFormatError: a line lacks ``prediction`` or holds a non-string one, or the file
            has more or fewer predictions than ``expected`` (the line where they diverge).
    """
    path = Path(path)
    predictions: list[str | None] = []
    last_line = 0
    for line, obj in iter_jsonl(path):
        last_line = line
        if len(predictions) == expected:
            raise DataFormatError(
                path,
                line,
                None,
                f"more predictions than the {expected} data rows (this is prediction "
                f"{expected + 1})",
            )
        if "prediction" not in obj:
            raise DataFormatError(path, line, "prediction", "missing field")
        value = obj["prediction"]
        if value is not None and not isinstance(value, str):
            raise DataFormatError(
                path, line, "prediction", f"expected a string, got {type(value).__name__}"
            )
        predictions.append(value)
    if len(predictions) < expected:
        raise DataFormatError(
            path,
            last_line or None,
            None,
            f"only {len(predictions)} predictions for {expected} data rows (the file ends "
            f"after line {last_line})",
        )
    return predictions


def write_predictions(path: Path, predictions: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for p in predictions:
            f.write(json.dumps({"prediction": p}, ensure_ascii=False) + "\n")
