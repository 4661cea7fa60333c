"""Errors the data loaders raise, shared by all of them."""

from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """A data file's row is malformed. The message names the file, the 1-based line (or entry)
    number and the offending field, e.g. ``dev.jsonl:12: field 'metric': unknown metric 'f2'``.

    Attributes:
        path: the file.
        line: 1-based line (or entry) number; None for file-level problems (an empty file).
        field: the field at fault; None when the row as a whole is at fault.
        message: what is wrong with it.
    """

    def __init__(self, path: str | Path, line: int | None, field: str | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.field = field
        self.message = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        what = f"field {field!r}: " if field is not None else ""
        super().__init__(f"{where}: {what}{message}")

    def __reduce__(self):
        # Keep the four-argument constructor picklable (multiprocessing data loaders).
        return (type(self), (self.path, self.line, self.field, self.message))
