"""Checkpoint content digests: what hashing every file costs next to writing the checkpoint.

    python -m bench.bench_checkpoint_digest [--mb 540] [--repeats 3]

Writes a checkpoint of one float32 state dict of ``--mb`` MB (540 MB: the embedded 135M-
parameter policy's weights) through :class:`common.rundir.checkpoint.CheckpointManager` with
``torch.save``, ``--repeats`` times, and reports the median of: the whole save, the digest
part of it (SHA-256, the default since manifests are signed: common.rundir.checkpoint), BLAKE2b over
the same files for comparison, and the verification a resume does. Verdict: the digests cost
at most a third of the save.
Writes ``bench/results/checkpoint_digest.json``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, machine, median, verdict_row, write_result

TARGET_SHARE = 1 / 3


def measure(mb: int, repeats: int, root: Path) -> dict[str, Any]:
    import torch

    import common.rundir.checkpoint as ckpt

    state = {"weight": torch.randn(mb * (1 << 20) // 4)}
    digest_s: list[float] = []
    real_digest = ckpt.file_digest

    def timed_digest(path, algorithm=ckpt.DIGEST_ALGORITHM):
        t = time.perf_counter()
        out = real_digest(path, algorithm)
        digest_s[-1] += time.perf_counter() - t
        return out

    ckpt.file_digest = timed_digest
    save_s, blake_s, verify_s = [], [], []
    try:
        for i in range(repeats):
            manager = ckpt.CheckpointManager(root / f"run{i}", keep=1)
            digest_s.append(0.0)
            t = time.perf_counter()
            folder = manager.save(1, lambda f: torch.save(state, f / "model.pt"), {})
            save_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            for p in sorted(folder.iterdir()):
                real_digest(p, "blake2b")
            blake_s.append(time.perf_counter() - t)
            ckpt._VERIFIED.clear()
            t = time.perf_counter()
            assert manager.verify(folder) is None
            verify_s.append(time.perf_counter() - t)
            shutil.rmtree(root / f"run{i}")
    finally:
        ckpt.file_digest = real_digest
    digest = median(digest_s)
    save = median(save_s)
    return {
        "mb": mb,
        "repeats": repeats,
        "algorithm": ckpt.DIGEST_ALGORITHM,
        "save_s": save,
        "digest_s": digest,
        "digest_share_of_save": digest / save,
        "write_only_s": save - digest,
        "digest_mb_per_s": mb / digest if digest else None,
        "blake2b_s": median(blake_s),
        "verify_s": median(verify_s),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=540)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ckpt-") as tmp:
        res = measure(args.mb, args.repeats, Path(tmp))
    share = res["digest_share_of_save"]
    res["verdicts"] = [
        verdict_row(
            "checkpoint: digest share of the save",
            share,
            f"<= {TARGET_SHARE:.2f}",
            share <= TARGET_SHARE,
            f"{res['algorithm']} digests take {share:.0%} of a {args.mb} MB checkpoint save",
        )
    ]
    res["machine"] = machine()
    print(
        f"save {res['save_s']:.2f} s (write {res['write_only_s']:.2f} s + {res['algorithm']} "
        f"{res['digest_s']:.2f} s, {res['digest_mb_per_s']:.0f} MB/s); BLAKE2b would take "
        f"{res['blake2b_s']:.2f} s; a resume's verification {res['verify_s']:.2f} s"
    )
    print(res["verdicts"][0]["line"])
    write_result("checkpoint_digest.json", res, args.results_dir)
    return res


if __name__ == "__main__":
    main()
