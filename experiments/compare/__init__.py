"""Compare methods over seeds: a methods x metrics table (mean ± std), paired t-tests and
cross-method plots, built from finished run directories.

    python -m experiments.compare RUN_OR_SWEEP_DIR [...] [--out DIR] [--baseline LABEL]
        [--group-by KEY[,KEY]] [--phase after|before] [--metrics m1,m2]

Inputs: any mix of run directories (a folder with ``summary.json``) and sweep directories
(folders whose subfolders, down to 4 levels, are run directories, e.g. a Hydra multirun
``multirun/EXP/DATE/0_balancer=average,seed=0/``). A run folder without ``summary.json``
(it has ``.hydra/`` or ``metrics.jsonl``: a failed or unfinished run) is skipped with a
warning naming it, and so is a damaged one (a cut-short ``metrics.jsonl`` or
``summary.json``, a summary of another schema) with the file and the fault; no run at all is
an error (exit status 1). Folders count once by their resolved path (a symlink to a folder
already searched, or a loop back to an ancestor, is not followed again).

Rows: runs grouped by the values of the ``--group-by`` keys, joined by ``/``. A key is read
from the run's ``.hydra/config.yaml`` (a config group such as ``balancer`` reads its
``name``), else ``.hydra/overrides.yaml``, else Hydra's group choice in ``.hydra/hydra.yaml``
(``--group-by model`` -> ``smollm2``), else ``summary.json``. Default grouping:
``trainer.method/balancer.name`` (e.g. ``drbo/inverse``), with the model (last path part
of ``model.name_or_path``) and ``exp_name`` appended only when the runs span several. With
``--phase after`` a ``zero-shot`` row holds the untrained policy's scores (``eval.before``)
over all runs of the same model and exp (``zero-shot/<model>/<exp>`` when there are
several). Rows are listed zero-shot first, then by label.

Cells: a row's value is computed per seed, then mean ± std over seeds (sample std, ddof=1; just the mean with one seed), x100
with 2 decimals. ``n`` = seeds of the row. Two runs of one row with the same seed (the
same method trained for 4 and for 8 steps) are refused with the default grouping, naming
both folders and the overrides that differ (``--group-by ...,KEY`` splits them); an explicit
``--group-by`` that pools them (``--group-by seed``) averages them into one seed with a
warning, listed under ``pooled`` in results.json. ``avg`` = per seed, the mean over the table's
metrics; then mean ± std over seeds. Columns: the union of ``eval[phase]`` metric names,
sorted, or ``--metrics`` (restricts and orders). Higher is better: the highest mean of each
column (ties at 2 decimals included; only when >= 2 rows have a value) is the best cell,
**bold** in table.md and with a trailing ``*`` in table.csv.

t-test: each other row against ``--baseline LABEL`` (default: the zero-shot row when there
is one, else the first row), per metric and avg: ``scipy.stats.ttest_rel`` on the seeds both
rows have, difference = row - baseline. Against zero-shot, each run is paired with its own
``before`` scores (same runs, same seeds). Fewer than 2 pairs, or differences of zero
variance, give p = n/a with the reason.

Outputs in ``--out`` (default: ``<common parent of the inputs>/compare``):

    table.md, table.csv     the table above (also printed to stdout)
    ttest.md, ttest.csv     mean difference x100, p-value and pairs per row and column
                            (ttest.csv: one line per row x column, p at full precision)
    intervals.md, .csv      per run and metric (and ``avg``): n rows, before and after as
                            ``mean ± half-width`` of the run's 95 % bootstrap interval, the
                            paired after-before difference, "within noise" when its interval
                            contains 0 (from ``summary.json``'s ``eval_ci``; written when a
                            run has one)
    results.json            every number, in [0, 1] units (the tables print x100): per-run
                            scores, per-seed and mean/std per row, the t-tests, the runs used,
                            the folders skipped, the damaged ones (with why) and the pooled
                            seeds
    weights.png             mixing weight per step, one subplot per reward source, one line per
                            method (mean over its seeds)
    rewards.png             raw reward per step (each run's running mean, then the mean over
                            seeds), same layout
    arm_utilization.png     runs that log ``arm`` (bandits): fraction of steps each source was
                            picked, grouped bars per method (mean over seeds, std as error bar)

A plot with no data is not written.
"""

from __future__ import annotations

# One job a module: discovery (find, load and group runs), stats (per-seed scores, rows,
# t-tests), tables (Markdown and CSV cells and files), plots (cross-method figures),
# report (compare(): every output of one comparison), cli (argument parsing).
from experiments.compare.cli import main
from experiments.compare.discovery import (
    CompareError,
    default_label_parts,
    find_run_dirs,
    group_runs,
    load_run,
    run_value,
    zero_shot_groups,
)
from experiments.compare.report import compare, default_out
from experiments.compare.stats import Row, best_labels, build_rows, paired_ttest, ttests
from experiments.compare.tables import format_cell, markdown, table_cells

__all__ = [
    "CompareError",
    "Row",
    "best_labels",
    "build_rows",
    "compare",
    "default_label_parts",
    "default_out",
    "find_run_dirs",
    "format_cell",
    "group_runs",
    "load_run",
    "main",
    "markdown",
    "paired_ttest",
    "run_value",
    "table_cells",
    "ttests",
    "zero_shot_groups",
]
