"""Write the bundled sample files into ``common/data/samples/`` (deterministic by seed).

    python -m tools.samplegen.make_samples            # regenerate the committed files
    python -m tools.samplegen.make_samples --check    # exit 1 if the committed files differ

Every file is written by this project from hand-written catalogs and templates (see
``tools/samplegen``); the runtime packages only read them. Real benchmark files the project
may redistribute (GSM8K, IFEval) live in ``common/data/corpora`` and are not generated.
``*.gz`` files are compared by their decompressed content (another zlib may compress the
same rows to other bytes).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

from common.data.bundled import samples_dir
from common.data.jsonl import write_jsonl
from tools.samplegen.alce_rows import alce_rows
from tools.samplegen.catalog import check_catalog
from tools.samplegen.ifeval_testbed import testbed_rows
from tools.samplegen.instruct import instruct_rows
from tools.samplegen.jsonl_gz import write_jsonl_gz
from tools.samplegen.open_prompts import prompt_rows
from tools.samplegen.pref_pairs import pref_pair_rows
from tools.samplegen.shopping import shopping_rows

DEFAULT_SEED = 0
PER_CRITERION = 48
FILES = (
    "shopping_sample.jsonl",
    "alce_sample.json",
    "prompts_sample.jsonl",
    "instruct_sample.jsonl",
    "ifeval_testbed_train.jsonl",
    "ifeval_testbed_heldout.jsonl",
    "pref_pairs.jsonl.gz",
)


def _content(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def write_samples(out: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write every sample file into ``out``; returns their paths."""
    check_catalog()
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "shopping_sample.jsonl", shopping_rows(seed, PER_CRITERION))
    with (out / "alce_sample.json").open("w", encoding="utf-8") as fh:
        json.dump(alce_rows(seed), fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    write_jsonl(out / "prompts_sample.jsonl", prompt_rows(seed))
    write_jsonl(out / "instruct_sample.jsonl", instruct_rows(seed))
    testbed = testbed_rows(seed)
    write_jsonl(out / "ifeval_testbed_train.jsonl", testbed["train"])
    write_jsonl(out / "ifeval_testbed_heldout.jsonl", testbed["heldout"])
    write_jsonl_gz(out / "pref_pairs.jsonl.gz", pref_pair_rows(seed))
    return [out / name for name in FILES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder (default: the package's)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temp folder and compare with the committed files",
    )
    args = parser.parse_args(argv)
    target = args.out or samples_dir()
    if not args.check:
        for path in write_samples(target, args.seed):
            print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write_samples(Path(tmp), args.seed)
        stale = [
            name
            for name in FILES
            if not (target / name).is_file()
            or _content(Path(tmp) / name) != _content(target / name)
        ]
    if stale:
        print(f"out of date: {', '.join(stale)} (run python -m tools.samplegen.make_samples)")
        return 1
    print("bundled samples are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
