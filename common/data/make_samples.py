"""Write the bundled sample files into ``common/data/samples/`` (deterministic by seed).

    python -m common.data.make_samples            # regenerate the committed files
    python -m common.data.make_samples --check    # exit 1 if the committed files differ

Every file is written by this project from hand-written catalogs and templates (see
``common/data/samplegen``). Real benchmark files the project may redistribute (GSM8K, IFEval)
live in ``common/data/corpora`` and are not generated.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from common.data.bundled import samples_dir
from common.data.jsonl import write_jsonl
from common.data.samplegen.alce_rows import alce_rows
from common.data.samplegen.catalog import check_catalog
from common.data.samplegen.ifeval_testbed import testbed_rows
from common.data.samplegen.instruct import instruct_rows
from common.data.samplegen.open_prompts import prompt_rows
from common.data.samplegen.shopping import shopping_rows

DEFAULT_SEED = 0
PER_CRITERION = 48
FILES = (
    "shopping_sample.jsonl",
    "alce_sample.json",
    "prompts_sample.jsonl",
    "instruct_sample.jsonl",
    "ifeval_testbed_train.jsonl",
    "ifeval_testbed_heldout.jsonl",
)


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
            or (Path(tmp) / name).read_bytes() != (target / name).read_bytes()
        ]
    if stale:
        print(f"out of date: {', '.join(stale)} (run python -m common.data.make_samples)")
        return 1
    print("bundled samples are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
