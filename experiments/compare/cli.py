"""The command line: ``python -m experiments.compare RUN_OR_SWEEP_DIR [...] [options]``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import experiments.compare
from experiments.compare.discovery import CompareError
from experiments.compare.report import compare


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit status (0 success, 1 nothing to compare)."""
    ap = argparse.ArgumentParser(
        prog="python -m experiments.compare",
        description=experiments.compare.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("inputs", nargs="+", type=Path, metavar="RUN_OR_SWEEP_DIR")
    ap.add_argument(
        "--out", type=Path, default=None, help="output folder (default: <common parent>/compare)"
    )
    ap.add_argument(
        "--baseline",
        default=None,
        metavar="LABEL",
        help="row the t-tests compare against (default: zero-shot if present, else the first row)",
    )
    ap.add_argument(
        "--group-by",
        type=_csv_list,
        default=None,
        metavar="KEY[,KEY]",
        help="config keys whose values label the rows (default: trainer.method,balancer.name)",
    )
    ap.add_argument(
        "--phase",
        choices=("after", "before"),
        default="after",
        help="which eval scores fill the table (default: after; the zero-shot row comes with it)",
    )
    ap.add_argument(
        "--metrics",
        type=_csv_list,
        default=None,
        metavar="m1,m2",
        help="metrics to show, in this order (default: all, sorted)",
    )
    ap.add_argument("--no-plots", action="store_true", help="write the tables only")
    args = ap.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        results = compare(
            args.inputs,
            args.out,
            args.baseline,
            args.group_by,
            args.phase,
            args.metrics,
            plots=not args.no_plots,
        )
    except CompareError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(results["markdown"])
    print(results["ttest_markdown"])
    return 0
