"""A study's report: ``table.md`` (mean ± 95 % interval and n per cell), ``differences.md``
(paired differences between conditions and each condition's gain over the reference),
``results.json`` (everything, per seed too) and plots (``metrics.png``: every metric per
row with its interval; ``weights.png``: the mixing weights over training per condition when
the runs log ``weight/<metric>``; ``arms.png``: a bandit's arm shares when they log ``arm``).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common.evaluation.stats import format_mean_ci, method_record  # noqa: E402
from common.rundir.runs import arm_counts, read_run_metrics  # noqa: E402
from experiments.studies.curves import curves_md, plot_curves, study_curves  # noqa: E402
from experiments.studies.seed_bootstrap import (  # noqa: E402
    Cell,
    ResampledCell,
    cell_interval,
    difference_interval,
)

ZERO_TOL = 1e-9
HEADLINE = ("prompt_strict", "instruction_strict", "prompt_loose", "instruction_loose", "overall")


def _cell(seeds: list[dict], m: str):
    """One cell from each seed's entry for metric ``m``: (num, den) rows, or a resampled
    score ``{"value", "samples", "rows"}``."""
    first = seeds[0][m]
    if isinstance(first, dict):
        return ResampledCell(
            [s[m]["value"] for s in seeds],
            np.stack([s[m]["samples"] for s in seeds]),
            first["rows"],
        )
    return Cell(np.stack([s[m][0] for s in seeds]), np.stack([s[m][1] for s in seeds]))


def build_cells(per_row: dict[str, list[dict[str, tuple]]]) -> dict[str, dict[str, Cell]]:
    """row name -> metric -> Cell, from row name -> [one {metric: (num, den)} per seed]."""
    cells: dict[str, dict[str, Cell]] = {}
    for row, seeds in per_row.items():
        metrics = sorted(set().union(*(s.keys() for s in seeds)))
        cells[row] = {m: _cell(seeds, m) for m in metrics if all(m in s for s in seeds)}
    return cells


def metric_order(cells: dict[str, dict[str, Cell]]) -> list[str]:
    names = sorted(set().union(*(c.keys() for c in cells.values())))
    head = [m for m in HEADLINE if m in names]
    return head + [m for m in names if m not in head]


def intervals(cells, resamples: int, seed: int) -> dict[str, dict[str, dict]]:
    return {
        row: {m: cell_interval(c, resamples, seed=seed).to_dict() | {"per_seed": c.per_seed().tolist()}
              for m, c in metrics.items()}
        for row, metrics in cells.items()
    }  # fmt: skip


def differences(cells, pairs, reference, resamples: int, seed: int) -> dict[str, dict]:
    """``"a - b"`` -> metric -> interval (+ ``within_noise``) for the spec's pairs and for
    every row against ``reference``."""
    wanted = list(pairs)
    if reference is not None:
        wanted += [(row, reference) for row in cells if row != reference]
    out: dict[str, dict] = {}
    for a, b in dict.fromkeys(map(tuple, wanted)):
        if a not in cells or b not in cells:
            continue
        table = {}
        for m in sorted(set(cells[a]) & set(cells[b])):
            iv = difference_interval(cells[a][m], cells[b][m], resamples, seed=seed)
            # float sums of identical per-seed values can land 1e-17 off 0: a tolerance keeps
            # "no difference at all" from reading as an interval that excludes 0
            within = iv.lo <= ZERO_TOL and iv.hi >= -ZERO_TOL
            table[m] = iv.to_dict() | {"within_noise": within}
        out[f"{a} - {b}"] = table
    return out


def missing_differences(spec, cells) -> dict[str, str]:
    """The differences the spec asks for (its pairs, and every row against the reference)
    that cannot be computed: ``"a - b"`` -> why (the rows with no finished run)."""
    wanted = [tuple(p) for p in spec.differences]
    if spec.reference is not None:
        wanted += [(row, spec.reference) for row in spec.rows() if row != spec.reference]
    out = {}
    for a, b in dict.fromkeys(wanted):
        absent = [r for r in (a, b) if r not in cells]
        if absent:
            out[f"{a} - {b}"] = f"not computed: no finished run of {' and '.join(absent)}"
    return out


def missing_md(missing, rows_missing: list[str], diffs_missing: dict[str, str]) -> str:
    """The section that lists what a partial study lacks ('' when nothing is missing)."""
    if not (missing or rows_missing or diffs_missing):
        return ""
    lines = [f"\n**Incomplete study: {len(missing)} planned run(s) have no results.**\n"]
    lines += [
        f"- {m['condition']} seed {m['seed']}: {m['state']}: `{m['folder']}`" for m in missing
    ]
    if rows_missing:
        lines.append(f"- rows without any finished run: {', '.join(rows_missing)}")
    lines += [f"- `{name}`: {why}" for name, why in diffs_missing.items()]
    return "\n".join(lines) + "\n"


def table_md(ivs: dict, metrics: list[str], seeds: dict[str, int | str]) -> str:
    lines = [
        "| row | seeds | " + " | ".join(metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]
    for row, cells in ivs.items():
        vals = [
            f"{format_mean_ci(cells[m]['value'], cells[m])} (n={cells[m]['n']})"
            if m in cells
            else ""
            for m in metrics
        ]
        lines.append(f"| {row} | {seeds[row]} | " + " | ".join(vals) + " |")
    return "\n".join(lines) + "\n"


def differences_md(diffs: dict, metrics: list[str]) -> str:
    lines = [
        "| difference | " + " | ".join(metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    for name, table in diffs.items():
        vals = []
        for m in metrics:
            if m not in table:
                vals.append("")
                continue
            mark = "" if table[m]["within_noise"] else " *"
            vals.append(f"{format_mean_ci(table[m]['value'], table[m])}{mark}")
        lines.append(f"| {name} | " + " | ".join(vals) + " |")
    note = "\n`*`: the 95 % interval excludes 0. Differences in points (x100).\n"
    return "\n".join(lines) + "\n" + note


def training_traces(runs_by_row: dict[str, list[Path]]) -> dict[str, Any]:
    """Per condition: mean weight per metric per step over seeds, arm counts, first-step
    K-sample means (``mean/<metric>``: the training-side strength of each metric), and the
    step timers summed per run."""
    out: dict[str, Any] = {}
    for row, dirs in runs_by_row.items():
        weights: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        arms: Counter = Counter()
        start_means: dict[str, list[float]] = defaultdict(list)
        timers: dict[str, list[float]] = defaultdict(list)
        for d in dirs:
            rows = read_run_metrics(d)
            sums: dict[str, float] = defaultdict(float)
            for i, r in enumerate(rows):
                for k, v in r.items():
                    if k.startswith("weight/") and isinstance(v, int | float):
                        weights[k[7:]][int(r.get("step", i))].append(float(v))
                    elif k.startswith("time/") and isinstance(v, int | float):
                        sums[k[5:]] += float(v)
                    elif k.startswith("mean/") and i == 0 and isinstance(v, int | float):
                        start_means[k[5:]].append(float(v))
            arms.update(arm_counts(rows))  # per batch: steps; per query: prompts
            for k, v in sums.items():
                timers[k].append(v)
        out[row] = {
            "weights": {m: {s: float(np.mean(v)) for s, v in sorted(by.items())}
                        for m, by in weights.items()},
            "arm_counts": dict(arms),
            "start_means": {m: float(np.mean(v)) for m, v in start_means.items()},
            "timers_s": {k: float(np.mean(v)) for k, v in timers.items()},
        }  # fmt: skip
    return out


def weights_md(traces: dict) -> str | None:
    """Per condition that logs mixing weights: each metric's weight at the first and last
    logged step and its maximum (means over seeds), under the metric's training-side
    strength at the start (the K-sample mean reward before any update, ``mean/<metric>``)."""
    rows = [r for r, t in traces.items() if t["weights"]]
    if not rows:
        return None
    metrics = sorted(set().union(*(traces[r]["weights"] for r in rows)))
    lines = ["| | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    start = next((traces[r]["start_means"] for r in rows if traces[r]["start_means"]), {})
    if start:
        lines.append(
            "| K-sample mean at start | "
            + " | ".join(f"{start[m]:.2f}" if m in start else "" for m in metrics)
            + " |"
        )
    for row in rows:
        cells = []
        for m in metrics:
            by = traces[row]["weights"].get(m, {})
            if not by:
                cells.append("")
                continue
            steps = sorted(by)
            cells.append(f"{by[steps[0]]:.3f} → {by[steps[-1]]:.3f} (max {max(by.values()):.3f})")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    note = "\nweight at the first → last step (max over steps); means over seeds.\n"
    return "\n".join(lines) + "\n" + note


def plot_metrics(ivs: dict, metrics: list[str], path: Path) -> Path:
    rows = list(ivs)
    x = np.arange(len(metrics))
    width = 0.8 / max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(metrics) + 2), 4))
    for i, row in enumerate(rows):
        vals = [100 * ivs[row].get(m, {}).get("value", np.nan) for m in metrics]
        err = [
            [
                100 * (ivs[row][m]["value"] - ivs[row][m]["lo"]) if m in ivs[row] else 0
                for m in metrics
            ],
            [
                100 * (ivs[row][m]["hi"] - ivs[row][m]["value"]) if m in ivs[row] else 0
                for m in metrics
            ],
        ]
        ax.bar(x + i * width, vals, width, yerr=err, capsize=2, label=row)
    ax.set_xticks(x + width * (len(rows) - 1) / 2, metrics, rotation=30, ha="right")
    ax.set_ylabel("held-out score (x100), 95 % interval")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_weights(traces: dict, path: Path) -> Path | None:
    rows = [r for r, t in traces.items() if t["weights"]]
    if not rows:
        return None
    fig, axes = plt.subplots(
        1, len(rows), figsize=(4.2 * len(rows), 3.4), sharey=True, squeeze=False
    )
    for ax, row in zip(axes[0], rows, strict=True):
        for m, by in sorted(traces[row]["weights"].items()):
            steps = sorted(by)
            ax.plot(steps, [by[s] for s in steps], label=m)
        ax.set_title(row)
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("mixing weight (mean over seeds)")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_arms(traces: dict, path: Path) -> Path | None:
    rows = [r for r, t in traces.items() if t["arm_counts"]]
    if not rows:
        return None
    arms = sorted(set().union(*(traces[r]["arm_counts"] for r in rows)))
    fig, ax = plt.subplots(figsize=(1.5 * len(rows) + 3, 3.4))
    bottom = np.zeros(len(rows))
    for arm in arms:
        counts = np.array([traces[r]["arm_counts"].get(arm, 0) for r in rows], float)
        share = counts / np.array([sum(traces[r]["arm_counts"].values()) for r in rows], float)
        ax.bar(rows, share, bottom=bottom, label=arm)
        bottom += share
    ax.set_ylabel("share of training steps")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def answers_md(provenance: dict) -> str:
    """The held-out answers' length and repetition per row (means over seeds), with a warning
    under any row where a quarter or more of the answers loop; "" without them."""
    words = provenance.get("response_words") or {}
    distinct = provenance.get("response_distinct3") or {}
    looping = provenance.get("response_looping") or {}
    if not distinct:
        return ""
    from common.evaluation.answer_stats import WARN_SHARE

    mean = lambda v: sum(v) / len(v)  # noqa: E731
    lines = ["", "Held-out answers (means over seeds; distinct-3: share of distinct word "
             "3-grams an answer; looping: answers under 0.5):", "",
             "| row | words | distinct-3 | looping |", "|---|---:|---:|---:|"]  # fmt: skip
    flagged = []
    for row, d in distinct.items():
        loop = mean(looping.get(row) or [0.0])
        lines.append(f"| {row} | {mean(words.get(row) or [0.0]):.1f} | {mean(d):.3f} | "
                     f"{100 * loop:.0f} % |")  # fmt: skip
        if loop >= WARN_SHARE:
            flagged.append(row)
    if flagged:
        lines += ["", f"**Warning: answers loop under {', '.join(flagged)}**: their scores may "
                  "reflect a degenerate policy (common/evaluation/answer_stats.py)."]  # fmt: skip
    return "\n".join(lines) + "\n"


def write_report(
    out: Path,
    spec,
    per_row,
    runs_by_row,
    provenance: dict,
    resamples=1000,
    seed=0,
    missing=(),
    seeds_by_row: dict[str, list[int]] | None = None,
):
    """Write the report files into ``out``; returns results.json's content.

    ``missing``: the planned runs without results (``Run.missing()``); they, the rows left
    without any run and the requested differences that cannot be computed are listed in
    table.md, differences.md and results.json, never dropped silently. ``seeds_by_row``:
    the seeds behind each condition's row.
    """
    out.mkdir(parents=True, exist_ok=True)
    cells = build_cells(per_row)
    metrics = metric_order(cells)
    ivs = intervals(cells, resamples, seed)
    diffs = differences(cells, spec.differences, spec.reference, resamples, seed)
    traces = training_traces(runs_by_row)
    planned = len(spec.seeds)
    seeds = {row: len(v) if row not in spec.conditions else f"{len(v)} of {planned}"
             for row, v in per_row.items()}  # fmt: skip
    rows_missing = [r for r in spec.rows() if r not in per_row]
    diffs_missing = missing_differences(spec, cells)
    gaps = missing_md(list(missing), rows_missing, diffs_missing)
    table = table_md(ivs, metrics, seeds)
    table += "".join(f"| {row} | 0 of {planned} |" + " |" * len(metrics) + "\n"
                     for row in rows_missing)  # fmt: skip
    table += answers_md(provenance)
    (out / "table.md").write_text(table + gaps, encoding="utf-8")
    diff_text = differences_md(diffs, metrics)
    if diffs_missing:
        diff_text += "".join(f"\n- `{name}`: {why}" for name, why in diffs_missing.items()) + "\n"
    (out / "differences.md").write_text(diff_text, encoding="utf-8")
    weights = weights_md(traces)
    if weights is not None:
        (out / "weights.md").write_text(weights, encoding="utf-8")
    curves = study_curves(runs_by_row)
    if curves:
        (out / "training.md").write_text(curves_md(curves), encoding="utf-8")
    plots = [plot_metrics(ivs, metrics, out / "metrics.png"), plot_weights(traces, out / "weights.png"),
             plot_arms(traces, out / "arms.png"), plot_curves(curves, out / "training.png")]  # fmt: skip
    result = {
        "study": spec.name,
        "exp": spec.exp,
        "seeds_planned": list(spec.seeds),
        # the seeds each condition's row holds (a partial study has fewer than planned)
        "seeds": seeds_by_row if seeds_by_row is not None else {},
        "missing": list(missing),
        "rows_missing": rows_missing,
        "differences_missing": diffs_missing,
        "conditions": {c: list(o) for c, o in spec.conditions.items()},
        "overrides": list(spec.overrides),
        "intervals": method_record(resamples, seed=seed)
        | {
            "method": "two-level bootstrap: seeds, then prompts (paired on prompts for differences)"
        },
        "scores": ivs,
        "differences": diffs,
        "training": traces,
        "training_curves": curves,
        "plots": [p.name for p in plots if p is not None],
        **provenance,
    }
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
