"""``compare()``: every output of one comparison, from run folders to ``--out``."""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.rundir.runs import RunDir
from experiments.compare.discovery import (
    ZERO_SHOT,
    CompareError,
    DamagedRunError,
    find_run_dirs,
    load_run,
)
from experiments.compare.plots import write_plots
from experiments.compare.stats import (
    AVG,
    Row,
    best_labels,
    build_rows,
    keys_that_differ,
    runs_sharing_a_seed,
    ttests,
)
from experiments.compare.tables import (
    interval_cells,
    markdown,
    table_cells,
    ttest_csv_body,
    ttest_markdown,
    write_csv,
)

log = logging.getLogger("experiments.compare")


def default_out(inputs: Sequence[str | Path]) -> Path:
    """``<common parent of the inputs>/compare`` (the input itself when there is one)."""
    return Path(os.path.commonpath([str(Path(p).resolve()) for p in inputs])) / "compare"


def _metric_columns(runs: Sequence[RunDir], phase: str, wanted: Sequence[str] | None) -> list[str]:
    """The table's metrics: ``wanted`` in its order, else every ``eval[phase]`` name sorted.

    Raises:
        CompareError: no metric, or a wanted metric no run has.
    """
    available = sorted({m for r in runs for m in r.scores(phase)})
    if not wanted:
        if not available:
            raise CompareError(f"no run has eval.{phase} scores in summary.json")
        return available
    unknown = [m for m in wanted if m not in available]
    if unknown:
        raise CompareError(
            f"--metrics {','.join(unknown)}: not in any run's eval.{phase} (have: {', '.join(available) or 'none'})"
        )
    return list(dict.fromkeys(wanted))


def _pick_baseline(rows: Sequence[Row], name: str | None) -> Row:
    """The row named ``name``; by default the first zero-shot row, else the first row.
    ``zero-shot`` also names the zero-shot baseline when those rows carry model/exp suffixes.

    Raises:
        CompareError: no row has that label.
    """
    if name is None:
        return next((r for r in rows if r.zero_shot), rows[0])
    for row in rows:
        if row.label == name:
            return row
    if name == ZERO_SHOT:
        zero = [r for r in rows if r.zero_shot]
        if zero:
            return zero[0]
    raise CompareError(
        f"--baseline {name!r} is not a row; rows: {', '.join(r.label for r in rows)}"
    )


def _one_run_per_seed(rows: Sequence[Row], group_by: Sequence[str] | None) -> list[dict]:
    """Rows where one seed has several runs (e.g. the same method and seed trained for 4 and
    for 8 steps): their mean would count as one seed. With the default grouping that is
    refused; an explicit ``--group-by`` asked for such pools, so each is kept and logged.
    Zero-shot rows pool by design (one untrained policy per model and exp).

    Returns:
        [{"row", "seed", "runs"}] for every pooled seed (results.json's ``pooled``).

    Raises:
        CompareError: with the default grouping, naming the runs and the keys that differ.
    """
    pooled, problems, differing = [], [], set()
    for row in rows:
        if row.zero_shot:
            continue
        for seed, runs in runs_sharing_a_seed(row).items():
            paths = [str(r.path) for r in runs]
            pooled.append({"row": row.label, "seed": seed, "runs": paths})
            differ = keys_that_differ(runs)
            differing.update(differ)
            steps = sorted({str(r.summary.get("steps")) for r in runs})
            if differ:
                detail = f"overrides that differ: {', '.join(differ)}"
            else:
                detail = f"steps {' vs '.join(steps)}" if len(steps) > 1 else "same overrides"
            problems.append(f"row {row.label!r}, seed {seed}, {detail}: {', '.join(paths)}")
    if problems and not group_by:
        hint = (
            f"--group-by trainer.method,balancer.name,{','.join(sorted(differing))} "
            "to give them rows of their own"
            if differing
            else "compare them separately, or move the duplicate folder away"
        )
        raise CompareError(
            "several runs share a row and a seed (their mean would count as one seed):\n  "
            + "\n  ".join(problems)
            + f"\n{hint}"
        )
    for problem in problems:
        log.warning("--group-by pools several runs into one seed: %s", problem)
    return pooled


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def compare(
    inputs: Sequence[str | Path],
    out: str | Path | None = None,
    baseline: str | None = None,
    group_by: Sequence[str] | None = None,
    phase: str = "after",
    metrics: Sequence[str] | None = None,
    plots: bool = True,
) -> dict[str, Any]:
    """Build every output into ``out`` (see the package docstring); ``plots=False`` skips
    the PNG files.

    Returns:
        The content of ``results.json``, plus ``"markdown"`` (table.md's text) and
        ``"ttest_markdown"``.

    Raises:
        CompareError: no run found, no metric, an unknown ``--metrics`` name or baseline.
    """
    run_dirs, failed = find_run_dirs(inputs)
    for folder in failed:
        log.warning("skipping %s: no summary.json (failed or unfinished run)", folder)
    runs, damaged = [], {}
    for folder in run_dirs:
        try:
            runs.append(load_run(folder))
        except DamagedRunError as err:
            log.warning("skipping %s: %s", folder, err)
            damaged[str(folder)] = str(err)
    if not runs:
        raise CompareError(
            f"no run directory (a folder with summary.json) under {', '.join(map(str, inputs))}"
            + "".join(f"\n  damaged: {d}" for d in damaged.values())
        )
    log.info("%d runs, %d skipped", len(runs), len(failed) + len(damaged))
    columns = [*_metric_columns(runs, phase, metrics), AVG]
    rows = build_rows(runs, columns[:-1], phase, group_by)
    pooled = _one_run_per_seed(rows, group_by)
    base = _pick_baseline(rows, baseline)
    out = Path(out) if out is not None else default_out(inputs)
    out.mkdir(parents=True, exist_ok=True)

    caption = (
        f"Eval scores ({phase} training) x100, mean ± std over seeds (n); "
        "**bold** = best per column.\n\n"
    )
    table_md = caption + markdown(*table_cells(rows, columns, "md"))
    (out / "table.md").write_text(table_md, encoding="utf-8")
    written = [out / "table.md", write_csv(out / "table.csv", *table_cells(rows, columns, "csv"))]

    tests = ttests(rows, base, columns)
    ttest_md = ttest_markdown(tests, base, columns)
    (out / "ttest.md").write_text(ttest_md, encoding="utf-8")
    written.append(out / "ttest.md")
    header = ["method", "baseline", "metric", "n_pairs", "mean_diff_x100", "p_value", "note"]
    written.append(write_csv(out / "ttest.csv", header, ttest_csv_body(tests)))

    row_of = {id(r): row.label for row in rows if not row.zero_shot for r in row.runs}
    intervals = interval_cells(runs, row_of, columns)
    if intervals[1]:
        (out / "intervals.md").write_text(
            "Per run: x100, mean ± half-width of the 95 % bootstrap interval over the eval "
            "rows (n); delta = paired after - before.\n\n" + markdown(*intervals),
            encoding="utf-8",
        )
        written += [out / "intervals.md", write_csv(out / "intervals.csv", *intervals)]

    if plots:
        written += write_plots(rows, out)

    results = {
        "phase": phase,
        "units": "fraction in [0, 1]; the tables print x100",
        "columns": columns,
        "group_by": list(group_by) if group_by else None,
        "baseline": base.label,
        "runs": [
            {
                "path": str(r.path),
                "row": row_of[id(r)],
                "seed": r.seed,
                "method": r.method,
                "model": r.model,
                "exp": r.exp,
                "steps": r.summary.get("steps"),
                "wall_s": r.summary.get("wall_s"),
                "before": r.scores("before"),
                "after": r.scores("after"),
                "eval_ci": r.summary.get("eval_ci"),
            }
            for r in runs
        ],
        "skipped": [str(f) for f in failed],
        "damaged": damaged,
        "pooled": pooled,
        "rows": [_row_json(row, columns, best_labels(rows, columns)) for row in rows],
        "ttest": tests,
    }
    results["files"] = [str(p) for p in [*written, out / "results.json"]]
    (out / "results.json").write_text(json.dumps(_jsonable(results), indent=2), encoding="utf-8")
    for path in results["files"]:
        log.info("wrote %s", path)
    return results | {"markdown": table_md, "ttest_markdown": ttest_md}


def _row_json(row: Row, columns: Sequence[str], best: dict[str, set[str]]) -> dict[str, Any]:
    stats_by_col = {c: row.stats(c) for c in columns}
    return {
        "label": row.label,
        "zero_shot": row.zero_shot,
        "n": len(row.per_seed),
        "seeds": list(row.per_seed),
        "runs": [str(r.path) for r in row.runs],
        "per_seed": row.per_seed,
        "mean": {c: s[0] for c, s in stats_by_col.items()},
        "std": {c: s[1] for c, s in stats_by_col.items()},
        "n_per_column": {c: s[2] for c, s in stats_by_col.items()},
        "best": [c for c in columns if row.label in best[c]],
    }
