"""make_samples: the committed sample files are exactly what the generators write, a stale
file is caught, and gzip files compare by content."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from common.data.bundled import samples_dir
from tools.samplegen.jsonl_gz import write_jsonl_gz
from tools.samplegen.make_samples import FILES, main


def test_committed_files_match_generator(capsys):
    assert main(["--check"]) == 0, capsys.readouterr().out


def test_every_generated_file_is_committed_and_small():
    for name in FILES:
        path = samples_dir() / name
        assert path.is_file() and path.stat().st_size < 300 * 1024, name


def test_gzip_output_is_reproducible():
    rows = [{"a": 1, "b": "é"}, {"a": 2}]
    blobs = []
    for _ in range(2):
        write_jsonl_gz(tmp := Path(tempfile.mkdtemp()) / "x.jsonl.gz", rows)
        blobs.append(tmp.read_bytes())
    assert blobs[0] == blobs[1]  # no name or time stamp in the header
    assert gzip.decompress(blobs[0]).decode() == '{"a": 1, "b": "é"}\n{"a": 2}\n'


def test_check_compares_gzip_by_content_and_reports_a_stale_file(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    # the same rows compressed by another zlib setting still pass --check
    pairs = tmp_path / "pref_pairs.jsonl.gz"
    pairs.write_bytes(gzip.compress(gzip.decompress(pairs.read_bytes()), compresslevel=1))
    capsys.readouterr()
    assert main(["--out", str(tmp_path), "--check"]) == 0, capsys.readouterr().out
    (tmp_path / "prompts_sample.jsonl").write_text('{"prompt": "edited"}\n')
    assert main(["--out", str(tmp_path), "--check"]) == 1
    assert "out of date: prompts_sample.jsonl" in capsys.readouterr().out
