"""``python -m experiments.studies <name>``: train a study's grid, evaluate, report.

    python -m experiments.studies ifeval_balancers              # everything (resumes)
    python -m experiments.studies ifeval_balancers --seeds 0    # one seed now, more later
    python -m experiments.studies ifeval_balancers --only inverse average
    python -m experiments.studies ifeval_balancers --report-only  # finished runs only
    python -m experiments.studies ifeval_balancers --only inverse --no-report  # a lane

Runs go to ``--root`` (default ``outputs/studies/<name>``), the report to ``--out`` (default
``results/<name>``). Each ``make reproduce-<name>`` target calls this. A planned run that is
not finished (not started, or stopped without ``summary.json``/``final_model/``) is named on
stderr and listed as missing in table.md (``k of S`` seeds per row, an empty row when none),
differences.md (each requested difference it leaves uncomputed) and results.json
(``missing``, ``rows_missing``, ``differences_missing``; ``seeds``: the seeds each row holds).
``--no-report`` trains and caches the held-out predictions of this call's runs only, so two
single-thread lanes (``--only`` different conditions) share a machine without evaluating each
other's runs; one ``--report-only`` afterwards scores everything from the caches.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from common.evaluation.answer_stats import answer_stats
from experiments.studies.spec import REPO, ZERO_SHOT, load_spec


def collect_answers(answers: dict[str, dict[str, list[float]]], row: str, texts) -> None:
    """Append one policy's answer statistics (common.evaluation.answer_stats) to ``answers``
    {"words"|"distinct3"|"looping": {row: [per seed]}}."""
    stats = answer_stats(texts)
    for key in ("words", "distinct3", "looping"):
        answers[key].setdefault(row, []).append(stats[key])


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.studies", description=__doc__.split("\n")[0]
    )
    p.add_argument("name", help="a study in conf/study/ (or a YAML path)")
    p.add_argument("--seeds", type=int, nargs="+", help="train only these seeds now")
    p.add_argument("--only", nargs="+", help="train only these conditions now")
    p.add_argument("--report-only", action="store_true", help="no training: report finished runs")
    p.add_argument(
        "--no-report",
        action="store_true",
        help="train, cache this call's held-out predictions, write no report (parallel lanes)",
    )
    p.add_argument("--root", type=Path, help="where runs go (default outputs/studies/<name>)")
    p.add_argument("--out", type=Path, help="where the report goes (default results/<name>)")
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from experiments.provenance import git_state
    from experiments.studies.grid import plan_runs, train_all
    from experiments.studies.heldout import (
        heldout_examples,
        predictions_for,
        score_rows,
        study_config,
    )
    from experiments.studies.report import write_report

    args = build_parser().parse_args(argv)
    try:
        spec = load_spec(args.name)
        root = (args.root or REPO / "outputs" / "studies" / spec.name).resolve()
        out = (args.out or REPO / "results" / spec.name).resolve()
        todo = plan_runs(spec, root, args.seeds, args.only)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if not args.report_only:
        train_all(spec, todo)
    if args.report_only and args.no_report:
        print("error: --report-only and --no-report exclude each other", file=sys.stderr)
        return 2
    cfg = study_config(spec, root)
    examples = heldout_examples(cfg, spec, root)
    if args.no_report:  # a lane: its own runs' predictions, cached for the report
        for run in todo:
            if run.finished:
                predictions_for(str(run.folder), run.folder, cfg, examples, spec.eval)
        return 0
    per_row: dict[str, list] = {}
    answers: dict[str, dict[str, list[float]]] = {"words": {}, "distinct3": {}, "looping": {}}
    runs_by_row: dict[str, list[Path]] = {}
    walls: dict[str, float | None] = {}
    commits: dict[str, list[str]] = {}  # commit -> the runs trained from it
    if spec.zero_shot:
        preds = predictions_for(cfg.model.name_or_path, root / ZERO_SHOT, cfg, examples, spec.eval)
        per_row[ZERO_SHOT] = [score_rows(spec, cfg, examples, preds, args.resamples)]
        collect_answers(answers, ZERO_SHOT, preds)
    missing: list[dict] = []  # planned runs without results: listed, never dropped silently
    seeds_by_row: dict[str, list[int]] = {}
    for run in plan_runs(spec, root):  # every finished run, whatever this call trained
        if not run.finished:
            missing.append(run.missing())
            continue
        seeds_by_row.setdefault(run.condition, []).append(run.seed)
        preds = predictions_for(str(run.folder), run.folder, cfg, examples, spec.eval)
        collect_answers(answers, run.condition, preds)
        scored = score_rows(spec, cfg, examples, preds, args.resamples)
        per_row.setdefault(run.condition, []).append(scored)
        runs_by_row.setdefault(run.condition, []).append(run.folder)
        # the run's own wall time (summary.json), whichever invocation trained it
        summary = json.loads((run.folder / "summary.json").read_text())
        walls[f"{run.condition}/seed{run.seed}"] = summary.get("wall_s")
        info = run.folder / "run_info.json"
        if info.is_file():
            git = json.loads(info.read_text()).get("git") or {}
            commits.setdefault(str(git.get("commit")), []).append(f"{run.condition}/seed{run.seed}")
    for m in missing:
        print(
            f"warning: {m['condition']} seed {m['seed']}: {m['state']}: {m['folder']} "
            "(reported as missing)",
            file=sys.stderr,
        )
    if len(per_row) <= int(spec.zero_shot):
        print(f"error: no finished runs under {root} ({len(missing)} missing)", file=sys.stderr)
        return 1
    provenance = {
        "command": "python -m experiments.studies "
        + shlex.join(argv if argv is not None else sys.argv[1:]),
        "git": git_state(),  # of the report
        "run_commits": commits,
        "heldout_prompts": len(examples),
        # per seed, the held-out answers' mean words, mean distinct-3 and share looping: a
        # policy that games its reward by answering in a few words, or by repeating one phrase,
        # shows here before it shows in a score
        "response_words": answers["words"],
        "response_distinct3": answers["distinct3"],
        "response_looping": answers["looping"],
        "train_wall_s": walls,
        "train_wall_s_total": round(sum(w for w in walls.values() if w), 1),
        "report_wall_s": round(time.perf_counter() - start, 1),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    write_report(
        out,
        spec,
        per_row,
        runs_by_row,
        provenance,
        resamples=args.resamples,
        missing=missing,
        seeds_by_row=seeds_by_row,
    )
    print((out / "table.md").read_text())
    print((out / "differences.md").read_text())
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
