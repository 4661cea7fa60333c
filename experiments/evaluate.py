"""Offline evaluation: score a predictions file against a ShopBench-format data file.

    python -m experiments.evaluate --data FILE.jsonl --predictions PRED.jsonl [--out scores.json]
    python -m experiments.evaluate --data FILE.jsonl --model MODEL [--predictions-out PRED.jsonl]

With ``--model`` (a run directory, a local model or adapter folder, a hub id, or ``default``
for the embedded policy) predictions are first generated greedily with the model's chat
template, batched by task type with the per-type ``max_new_tokens`` of
``conf/dataset/shopping.yaml``, then scored exactly like a predictions file.

The predictions file holds one JSON object a line with a ``prediction`` string, in the data
file's order. Prints per-task and per-metric tables, scores x100 as ``mean ± half-width`` of
a 95 % bootstrap interval (:mod:`common.evaluation.stats`: each task's rows resampled on their own,
micro-F1 recomputed from resampled counts, overall = mean over tasks per resample; seeded).
``--out`` writes ``{"per_task": {...}, "per_metric": {...}, "overall": x, "n": {...},
"ci": {...}}`` on a 0-1 scale: ``n`` holds the rows behind each score and ``ci`` each score's
``{"value", "lo", "hi", "n"}`` plus the bootstrap settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.data.errors import DataFormatError
from common.data.shopbench import load_shopbench
from common.data.types import Example
from common.evaluation.prediction_files import read_predictions, write_predictions
from common.evaluation.stats import RESAMPLES, SEED, format_mean_ci
from common.rewards.shopbench_eval import score_shopbench
from experiments.output_paths import (
    OutputOverInputError,
    model_folders,
    refuse_outputs_over_inputs,
)

CONTRACT_KEYS = ("per_task", "per_metric", "overall")


def evaluate_predictions(
    examples: Sequence[Example],
    predictions: Sequence[str | None],
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> dict:
    """Official ShopBench scores of ``predictions`` with bootstrap intervals (see
    :func:`score_shopbench`)."""
    return score_shopbench(examples, predictions, resamples=resamples, seed=seed)


def report(scores: dict[str, Any]) -> dict[str, Any]:
    """The ``--out`` JSON: the contract keys, then ``n`` (rows behind each score) and ``ci``."""
    rows = scores.get("rows", {})
    out = {k: scores[k] for k in CONTRACT_KEYS}
    out["n"] = {
        "per_task": dict(rows.get("per_task", {})),
        "per_metric": dict(rows.get("per_metric", {})),
        "overall": int(sum(rows.get("per_task", {}).values())),
    }
    if "ci" in scores:
        out["ci"] = scores["ci"]
    return out


def format_tables(scores: dict[str, Any], examples: Sequence[Example]) -> str:
    """Per-task, per-metric and overall tables, scores x100 as ``mean ± half-width`` of their
    95 % interval (the bare mean when there is none)."""
    rows = scores.get("rows", {})
    ci = scores.get("ci", {})
    metrics_of_task: dict[str, list[str]] = {}
    for ex in examples:
        metrics_of_task.setdefault(ex.task_name, [])
        if ex.metric not in metrics_of_task[ex.task_name]:
            metrics_of_task[ex.task_name].append(ex.metric)
    task_ci, metric_ci = ci.get("per_task", {}), ci.get("per_metric", {})
    task_rows = [
        (
            task,
            ",".join(metrics_of_task.get(task, [])),
            rows.get("per_task", {}).get(task, ""),
            format_mean_ci(s, task_ci.get(task)),
        )
        for task, s in scores["per_task"].items()
    ]
    failed = rows.get("parse_failed", {})
    metric_rows = [
        (
            m,
            f"{failed.get(m, '')}",
            rows.get("per_metric", {}).get(m, ""),
            format_mean_ci(s, metric_ci.get(m)),
        )
        for m, s in scores["per_metric"].items()
    ]
    lines = _table(("task", "metric", "rows", "score"), task_rows)
    lines += [""] + _table(("metric", "parse_fail", "rows", "score"), metric_rows)
    n_rows = sum(rows.get("per_task", {}).values())
    lines += [
        "",
        f"overall (mean over {len(scores['per_task'])} tasks, {n_rows} rows): "
        f"{format_mean_ci(scores['overall'], ci.get('overall'))}",
    ]
    if ci:
        m = ci["method"]
        lines.append(
            f"± = half-width of the {100 * m['confidence']:.0f} % bootstrap interval "
            f"({m['resamples']} resamples, seed {m['seed']})"
        )
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    cells = [list(header)] + [[str(c) for c in r] for r in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + f"  {{:>{widths[-1]}}}"
    out = [fmt.format(*cells[0]), "  ".join("-" * w for w in widths)]
    return out + [fmt.format(*row) for row in cells[1:]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.evaluate",
        description="Score predictions against a ShopBench-format file (official semantics).",
    )
    parser.add_argument("--data", required=True, type=Path, help="ShopBench JSON-lines file")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--predictions",
        type=Path,
        help='JSON lines, one {"prediction": "..."} per data row, in the same order',
    )
    source.add_argument(
        "--model",
        help="generate predictions with this model: a run directory, a model or adapter "
        "folder, a hub id, or 'default' (the embedded SmolLM2-135M-Instruct)",
    )
    parser.add_argument("--out", type=Path, help="write per-task/per-metric/overall JSON here")
    parser.add_argument(
        "--predictions-out", type=Path, help="with --model: save the generated predictions"
    )
    parser.add_argument("--batch-size", type=int, default=8, help="with --model: rows per batch")
    parser.add_argument(
        "--resamples", type=int, default=RESAMPLES, help="bootstrap resamples (0: no intervals)"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="bootstrap seed")
    return parser


def task_budgets() -> dict[str, int]:
    """Per-task-type ``max_new_tokens``, shared with training (conf/dataset/shopping.yaml)."""
    from omegaconf import OmegaConf

    conf = Path(__file__).resolve().parents[1] / "conf" / "dataset" / "shopping.yaml"
    return dict(OmegaConf.load(conf).max_new_tokens)


def predict(model_spec: str, examples: Sequence[Example], batch_size: int = 8) -> list[str]:
    """Greedy predictions of ``model_spec`` for ``examples`` (chat template, by task type)."""
    from common.evaluation.predictions import generate_predictions
    from common.training.checkpoint_policy import load_policy

    budgets = task_budgets()
    model, tokenizer = load_policy(model_spec)
    return generate_predictions(
        model,
        tokenizer,
        examples,
        lambda ex: int(budgets.get(ex.task_type, budgets["default"])),
        batch_size=batch_size,
        desc=f"predict {model_spec}",
    )


def main(argv: Sequence[str] | None = None) -> int:
    from experiments import evaluate_ifeval  # IFEval-format data (IFEval, IFBench, testbed)

    if evaluate_ifeval.handles(argv):
        return evaluate_ifeval.main(argv)
    args = build_parser().parse_args(argv)
    if args.predictions_out is not None and args.model is None:
        print("error: --predictions-out needs --model", file=sys.stderr)
        return 2
    try:
        # before anything is read or generated: --out data.jsonl once replaced the benchmark
        refuse_outputs_over_inputs(
            {"--data": args.data, "--predictions": args.predictions},
            {"--out": args.out, "--predictions-out": args.predictions_out},
            {"--model": model_folders(args.model)},
        )
        examples = load_shopbench(args.data)
        if args.model is not None:
            predictions = predict(args.model, examples, args.batch_size)
            if args.predictions_out is not None:
                write_predictions(args.predictions_out, predictions)
        else:
            predictions = read_predictions(args.predictions, len(examples))
    except (DataFormatError, OutputOverInputError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    scores = evaluate_predictions(examples, predictions, args.resamples, args.seed)
    print(format_tables(scores, examples))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report(scores), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
