"""Line-numbered JSON-lines reading shared by the loaders, so every bad line is reported as
``file:line`` instead of a bare ``json.JSONDecodeError``."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common.data.errors import DataFormatError

# Files saved by some Windows tools start with a byte-order mark; it is not part of the data.
_BOM = b"\xef\xbb\xbf"


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for every line, 1-based, decoded as UTF-8.

    Raises:
        DataFormatError: a line is not valid UTF-8 (a bare UnicodeDecodeError names neither
            the file nor the line).
    """
    path = Path(path)
    line_no = 0
    try:
        with open_binary(path) as fh:
            for line_no, raw in enumerate(fh, start=1):
                yield line_no, _decode(raw, path, line_no)
    except (gzip.BadGzipFile, EOFError) as err:  # a truncated or non-gzip ``.gz`` file
        raise DataFormatError(
            path, line_no + 1, "<gzip>", f"not a complete gzip file: {err}"
        ) from err


def read_text(path: str | Path) -> str:
    """The whole file decoded as UTF-8; a bad byte is reported with its line."""
    path = Path(path)
    with open_binary(path) as fh:
        raw = fh.read().removeprefix(_BOM)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line_no = raw.count(b"\n", 0, err.start) + 1
        start = raw.rfind(b"\n", 0, err.start) + 1
        raise _encoding_error(err, path, line_no, err.start - start) from err


def open_binary(path: Path):
    """The file opened for binary reading; ``*.gz`` files are decompressed on the fly (the
    bundled benchmark copies are gzip-compressed)."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def _decode(raw: bytes, path: Path, line_no: int) -> str:
    if line_no == 1:
        raw = raw.removeprefix(_BOM)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _encoding_error(err, path, line_no, err.start) from err


def _encoding_error(
    err: UnicodeDecodeError, path: Path, line_no: int, column: int
) -> DataFormatError:
    byte = err.object[err.start]
    return DataFormatError(
        path,
        line_no,
        "<encoding>",
        f"not valid UTF-8: byte 0x{byte:02x} at column {column + 1} ({err.reason})",
    )


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line (1-based line numbers).

    Raises:
        DataFormatError: a line is not valid UTF-8, not valid JSON or not a JSON object.
    """
    path = Path(path)
    for line_no, line in iter_lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFormatError(path, line_no, "<json>", f"invalid JSON: {err.msg}") from err
        if not isinstance(obj, dict):
            raise DataFormatError(
                path, line_no, "<json>", f"expected a JSON object, got {type(obj).__name__}"
            )
        yield line_no, obj


def iter_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Like :func:`iter_jsonl`, but a file whose text starts with ``[`` is read as one JSON
    list, numbering entries from 1 (ALCE files and re-saved Shopping MMLU files are lists,
    often on a single physical line, so the entry number is the useful position).
    """
    path = Path(path)
    with open_binary(path) as fh:
        head = fh.read(4096).removeprefix(_BOM).lstrip()
    if not head.startswith(b"["):
        yield from iter_jsonl(path)
        return
    try:
        rows = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise DataFormatError(path, err.lineno, "<json>", f"invalid JSON: {err.msg}") from err
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise DataFormatError(path, i, "<json>", f"entry {i} is not a JSON object")
        yield i, row


def require(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path, line: int):
    """``obj[key]`` checked against ``kind``; a missing key or wrong type is a
    DataFormatError naming the field."""
    if key not in obj:
        raise DataFormatError(path, line, key, "missing field")
    value = obj[key]
    # bool is an int subclass; a True where an index belongs is a data bug, not an index
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise DataFormatError(path, line, key, f"expected {_names(kind)}, got bool")
    if not isinstance(value, kind):
        raise DataFormatError(
            path, line, key, f"expected {_names(kind)}, got {type(value).__name__}"
        )
    return value


def write_jsonl(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Write one compact JSON object a line, UTF-8 kept readable (no ``\\u`` escapes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)
