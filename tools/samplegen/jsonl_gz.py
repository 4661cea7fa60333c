"""Reproducible ``.jsonl.gz`` files: the same rows give the same bytes (with one zlib)."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path


def write_jsonl_gz(path: Path, rows: list[dict]) -> None:
    """``rows`` as gzip-compressed JSON lines with no name or time stamp in the gzip header,
    so the same rows give the same bytes (with one zlib)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    path.write_bytes(buffer.getvalue())
