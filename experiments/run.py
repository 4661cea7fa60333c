"""Entry point: ``python -m experiments.run +exp=shopping_mmlu [overrides]``.

Compose -> validate (before any model loads) -> lock the run directory -> check what
``resume`` will do -> seed -> instantiate the trainer -> fit -> write ``summary.json`` in the
run directory (data flow and the run-directory contract: docs/architecture.md).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, open_dict

from common.rundir.distributed import all_gather_object, is_main, world_size
from common.rundir.preemption import DEFAULT_SIGNALS, STOP_FILE, StopRequest
from experiments.compose import check_added_keys
from experiments.validate import check_run_dir_writable, validate_config

log = logging.getLogger(__name__)


def format_table(before: dict[str, float], after: dict[str, float], ci: dict | None = None) -> str:
    """A before/after per-metric table, values x100 as the papers print them; with ``ci`` (the
    summary's ``eval_ci``) each value is ``mean ± half-width`` of its 95 % bootstrap interval,
    ``n`` gives the rows behind it, ``avg`` the mean over metrics, and a difference whose
    paired interval contains 0 is marked ``within noise``."""
    from common.evaluation.stats import format_mean_ci

    ci = ci or {}
    names = sorted(set(before) | set(after))
    if ci.get("after", {}).get("avg") or ci.get("before", {}).get("avg"):
        names.append("avg")
    rows = [
        "| metric | n | before | after | delta | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for n in names:
        cb, ca = ci.get("before", {}).get(n), ci.get("after", {}).get(n)
        cd = ci.get("difference", {}).get(n)
        b = before.get(n, cb["value"] if cb else None)
        a = after.get(n, ca["value"] if ca else None)
        rows_n = (ca or cb or {}).get("n", "")
        if cd is not None:
            d = format_mean_ci(cd["value"], cd)
            d = d if d.startswith("-") else f"+{d}"
        else:
            d = f"{100 * (a - b):+.2f}" if a is not None and b is not None else ""
        noise = "within noise" if cd is not None and cd.get("within_noise") else ""
        rows.append(
            f"| {n} | {rows_n} | {format_mean_ci(b, cb)} | {format_mean_ci(a, ca)} | {d} | {noise} |"
        )
    return "\n".join(rows)


def format_answers(answers: dict) -> str:
    """One line on the eval answers' length and repetition before -> after (the summary's
    ``answers``), and a warning when many loop; "" without answers."""
    from common.evaluation.answer_stats import looping_warning

    sides = [answers.get(k) or {} for k in ("before", "after")]
    sides = [s for s in sides if s.get("n")]
    if not sides:
        return ""

    def chain(key: str, fmt: str) -> str:
        return " -> ".join(format(s[key], fmt) for s in sides)

    looping = " -> ".join(f"{100 * s['looping']:.0f} %" for s in sides)
    line = (
        f"answers: words {chain('words', '.1f')}, distinct-3 {chain('distinct3', '.2f')}, "
        f"looping {looping}"
    )
    warning = looping_warning(sides[-1])
    return line + (f"\n{warning}" if warning else "")


def run(cfg: DictConfig, run_dir: str | Path, overrides: list[str] | None = None) -> dict:
    """Run one experiment into ``run_dir``; returns the summary it writes. ``overrides`` (the
    command line's) are recorded in ``run_info.json`` so the run can be repeated."""
    validate_config(cfg)
    if world_size() > 1:
        # Under torchrun each rank composed its own timestamped dir: all use rank 0's.
        from common.training.engine import init_distributed

        init_distributed(cfg.engine.get("backend", "auto"))
        run_dir = all_gather_object(str(run_dir))[0]
    if not is_main():
        return _run_locked(cfg, run_dir, overrides)
    from common.rundir.run_lock import RunLock

    check_run_dir_writable(run_dir)
    with RunLock(run_dir):  # a second run into this directory stops here
        return _run_locked(cfg, run_dir, overrides)


def _run_locked(cfg: DictConfig, run_dir: str | Path, overrides: list[str] | None) -> dict:
    # Stop signals are caught from here to the end, the model load and both evaluations
    # included: a stop exits 128 + signum with what can be resumed saved (common.rundir.preemption).
    signals = cfg.get("stop_signals") or DEFAULT_SIGNALS
    with StopRequest(signals, Path(run_dir) / STOP_FILE) as stop:
        return _run_stoppable(cfg, run_dir, overrides, stop)


def _run_stoppable(
    cfg: DictConfig, run_dir: str | Path, overrides: list[str] | None, stop: StopRequest
) -> dict:
    from common.rundir.resume import plan_resume
    from common.training.loop import seed_everything
    from experiments.provenance import record_run
    from experiments.trainers import TRAINERS

    if is_main():
        # Refuses a resume that cannot be honoured before run_info.json or any model is
        # touched (the loop asks again; the digests are not recomputed).
        plan_resume(cfg, run_dir)
        record_run(cfg, run_dir, list(overrides or []))
    seed_everything(cfg.seed)
    loop = TRAINERS.get(cfg.trainer.name)(cfg, run_dir)
    loop.stop_request = stop
    result = loop.fit()
    summary = {
        "exp": cfg.exp_name,
        "method": loop.method,
        "seed": int(cfg.seed),
        **result,
    }
    if is_main():
        from common.rundir.train_trend import format_trend, trend_of_run

        summary["train_trend"] = trend_of_run(run_dir)  # first vs last quarter of steps
        write_summary(Path(run_dir), summary)
        ev = result["eval"]
        if ev["before"] or ev["after"]:
            print(format_table(ev["before"], ev["after"], result.get("eval_ci")))
        official = result.get("eval_official_ci") or {}
        if official.get("before") or official.get("after"):
            # IFEval's own accuracies (prompt-level strict is the one papers report) and its
            # per-family instruction-level accuracy, paired over the same prompts
            values = {
                side: {k: v["value"] for k, v in (official.get(side) or {}).items()}
                for side in ("before", "after")
            }
            print(format_table(values["before"], values["after"], official))
        answers = format_answers(result.get("answers") or {})
        if answers:
            print(answers)
        print(format_trend(summary["train_trend"]))
        log.info("run directory: %s", run_dir)
    return summary


def write_summary(run_dir: Path, summary: dict) -> None:
    """``summary.json``, atomically; a failed write names the file and what is kept."""
    path = run_dir / "summary.json"
    tmp = path.with_suffix(".json.tmp")
    try:
        tmp.write_text(json.dumps(summary, indent=2))
        tmp.replace(path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OSError(
            err.errno,
            f"could not write {path}: {err.strerror or err}; metrics.jsonl, the checkpoints "
            f"and final_model/ in {run_dir} are kept (the summary was: {json.dumps(summary)})",
        ) from err


def name_sweep_run(cfg: DictConfig) -> None:
    """W&B identity from Hydra: the runs of one sweep share the group ``<exp>/<sweep folder>``
    and are named by their overrides (``balancer=inverse,seed=1``), so a dashboard groups
    and compares them; an explicit ``logger.group`` / ``logger.name`` wins."""
    hc = HydraConfig.get()
    if "logger" not in cfg or hc.mode != RunMode.MULTIRUN:
        return
    with open_dict(cfg):
        if cfg.logger.get("group") is None:
            cfg.logger.group = f"{cfg.exp_name}/{Path(hc.sweep.dir).name}"
        if cfg.logger.get("name") is None:
            cfg.logger.name = hc.job.override_dirname or f"job{hc.job.num}"


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    name_sweep_run(cfg)
    hc = HydraConfig.get()
    check_added_keys(hc.overrides.task)  # +trainer.stepz=3 would be added and ignored
    run(cfg, hc.runtime.output_dir, list(hc.overrides.task))


if __name__ == "__main__":
    main()
