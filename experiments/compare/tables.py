"""Text outputs: the table, t-test and interval cells, and their Markdown and CSV files."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.rundir.runs import RunDir
from experiments.compare.stats import Row, best_labels


def format_cell(mean: float | None, std: float | None) -> str:
    """``"20.00 ± 10.00"`` (x100), ``"20.00"`` without std, ``"-"`` without a mean."""
    if mean is None:
        return "-"
    return f"{100 * mean:.2f}" if std is None else f"{100 * mean:.2f} ± {100 * std:.2f}"


def table_cells(
    rows: Sequence[Row], columns: Sequence[str], mark: str
) -> tuple[list[str], list[list[str]]]:
    """(header, body) of the table; ``mark`` is ``"md"`` (best cell in ``**bold**``) or
    ``"csv"`` (best cell with a trailing ``*``)."""
    best = best_labels(rows, columns)
    body = []
    for row in rows:
        cells = [row.label, str(len(row.per_seed))]
        for col in columns:
            mean, std, _ = row.stats(col)
            text = format_cell(mean, std)
            if row.label in best[col]:
                text = f"**{text}**" if mark == "md" else f"{text}*"
            cells.append(text)
        body.append(cells)
    return ["method", "n", *columns], body


def markdown(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A markdown table; first column left-aligned, the others right-aligned."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, header: Sequence[str], body: Sequence[Sequence[Any]]) -> Path:
    """Write a CSV file; returns its path."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(body)
    return path


def _format_p(p: float) -> str:
    return f"{p:.3g}"


def ttest_markdown(results: Sequence[dict[str, Any]], baseline: Row, columns: Sequence[str]) -> str:
    """``ttest.md``: one row per compared method, cells ``+diff (p=..., n=...)``."""
    against = (
        f"`{baseline.label}` (each run's own before-training scores)"
        if baseline.zero_shot
        else f"`{baseline.label}` (pairs by seed)"
    )
    cells: dict[str, dict[str, str]] = defaultdict(dict)
    for r in results:
        if r["mean_diff"] is None:
            text = f"n/a ({r['note']})"
        else:
            p = _format_p(r["p_value"]) if r["p_value"] is not None else f"n/a: {r['note']}"
            text = f"{100 * r['mean_diff']:+.2f} (p={p}, n={r['n_pairs']})"
        cells[r["method"]][r["metric"]] = text
    body = [[m, *(c.get(col, "-") for col in columns)] for m, c in cells.items()]
    title = (
        f"Paired t-test against {against}: mean difference (row - baseline) x100, "
        "two-sided p-value, n = paired seeds.\n\n"
    )
    return title + markdown(["method", *columns], body)


def ttest_csv_body(results: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """``ttest.csv`` lines: method, baseline, metric, n_pairs, mean_diff_x100, p_value, note."""
    return [
        [
            r["method"],
            r["baseline"],
            r["metric"],
            r["n_pairs"],
            "" if r["mean_diff"] is None else f"{100 * r['mean_diff']:.4f}",
            "n/a" if r["p_value"] is None else repr(r["p_value"]),
            r["note"],
        ]
        for r in results
    ]


def interval_cells(
    runs: Sequence[RunDir], row_of: dict[int, str], columns: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    """(header, body) of the per-run interval table from each summary's ``eval_ci``."""
    from common.evaluation.stats import (
        format_mean_ci,  # here: common.evaluation.stats imports every scorer (~3 s)
    )

    body = []
    for run in sorted(runs, key=lambda r: (row_of.get(id(r), ""), r.seed)):
        ci = run.summary.get("eval_ci") or {}
        for col in columns:
            b, a, d = (ci.get(k, {}).get(col) for k in ("before", "after", "difference"))
            if not (b or a):
                continue
            delta = format_mean_ci(d["value"], d) if d else ""
            body.append(
                [
                    row_of.get(id(run), "zero-shot"),
                    str(run.seed),
                    col,
                    str((a or b)["n"]),
                    format_mean_ci(b["value"], b) if b else "",
                    format_mean_ci(a["value"], a) if a else "",
                    f"+{delta}" if delta and not delta.startswith("-") else delta,
                    "within noise" if d and d.get("within_noise") else "",
                ]
            )
    header = ["method", "seed", "metric", "n", "before", "after", "delta", "noise"]
    return header, body
