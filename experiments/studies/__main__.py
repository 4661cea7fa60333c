"""``python -m experiments.studies <name>``: train a study's grid, evaluate, report.

    python -m experiments.studies ifeval_balancers              # everything (resumes)
    python -m experiments.studies ifeval_balancers --seeds 0    # one seed now, more later
    python -m experiments.studies ifeval_balancers --only inverse average
    python -m experiments.studies ifeval_balancers --report-only  # finished runs only

Runs go to ``--root`` (default ``outputs/studies/<name>``), the report to ``--out`` (default
``results/<name>``). Each ``make reproduce-<name>`` target calls this.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from experiments.studies.spec import REPO, ZERO_SHOT, load_spec


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.studies", description=__doc__.split("\n")[0]
    )
    p.add_argument("name", help="a study in conf/study/ (or a YAML path)")
    p.add_argument("--seeds", type=int, nargs="+", help="train only these seeds now")
    p.add_argument("--only", nargs="+", help="train only these conditions now")
    p.add_argument("--report-only", action="store_true", help="no training: report finished runs")
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
    walls_file = root / "train_walls.json"
    walls = json.loads(walls_file.read_text()) if walls_file.is_file() else {}
    if not args.report_only:
        try:
            walls.update(train_all(spec, todo))
        finally:
            root.mkdir(parents=True, exist_ok=True)
            walls_file.write_text(json.dumps(walls, indent=2) + "\n")
    cfg = study_config(spec, root)
    examples = heldout_examples(cfg, spec, root)
    per_row: dict[str, list] = {}
    runs_by_row: dict[str, list[Path]] = {}
    if spec.zero_shot:
        preds = predictions_for(cfg.model.name_or_path, root / ZERO_SHOT, cfg, examples, spec.eval)
        per_row[ZERO_SHOT] = [score_rows(spec, cfg, examples, preds, args.resamples)]
    for run in plan_runs(spec, root):  # every finished run, whatever this call trained
        if not run.finished:
            continue
        preds = predictions_for(str(run.folder), run.folder, cfg, examples, spec.eval)
        scored = score_rows(spec, cfg, examples, preds, args.resamples)
        per_row.setdefault(run.condition, []).append(scored)
        runs_by_row.setdefault(run.condition, []).append(run.folder)
    if len(per_row) <= int(spec.zero_shot):
        print(f"error: no finished runs under {root}", file=sys.stderr)
        return 1
    provenance = {
        "command": "python -m experiments.studies "
        + shlex.join(argv if argv is not None else sys.argv[1:]),
        "git": git_state(),
        "heldout_prompts": len(examples),
        "train_wall_s": walls,
        "report_wall_s": round(time.perf_counter() - start, 1),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    write_report(out, spec, per_row, runs_by_row, provenance, resamples=args.resamples)
    print((out / "table.md").read_text())
    print((out / "differences.md").read_text())
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
