"""``python -m common.rundir.sign_checkpoint sign FOLDER...``: sign checkpoint folders you
trust (e.g. copied from another machine) with this user's key, after checking that their files
still match their manifest. Apart from :mod:`common.rundir.checkpoint_signing` so that the
signing maths never imports the checkpoint manager that uses it (no import cycle)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common.rundir.checkpoint import MANIFEST, CheckpointManager, file_digest
from common.rundir.checkpoint_signing import key_path, sign


def sign_folder(folder: Path) -> None:
    """Sign ``folder``'s manifest with this user's key, after checking its files match it."""
    folder = Path(folder)
    reason = CheckpointManager.verify(folder)
    if reason is not None:
        raise ValueError(f"checkpoint {folder} is not intact ({reason}); not signed")
    manifest = json.loads((folder / MANIFEST).read_text())
    # Re-hash with SHA-256: a signature over XXH3 digests would vouch for forgeable ones.
    manifest["digests"] = {name: file_digest(folder / name) for name in manifest["files"]}
    (folder / MANIFEST).write_text(json.dumps(sign(manifest)))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m common.rundir.sign_checkpoint",
        description="Sign checkpoint folders you trust with your checkpoint key.",
    )
    parser.add_argument("command", choices=["sign"])
    parser.add_argument("folders", nargs="+", type=Path, help="checkpoints/step-XXXXXXXX")
    args = parser.parse_args(argv)
    for folder in args.folders:
        sign_folder(folder)
        print(f"signed {folder} with {key_path()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
