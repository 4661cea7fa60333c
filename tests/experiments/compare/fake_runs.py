"""Hand-made finished run directories for the compare tests: 2 methods x 3 seeds plus a
failed run. No model is trained."""

import csv
import json

from omegaconf import OmegaConf

PNG = b"\x89PNG\r\n\x1a\n"

# eval scores per seed 0, 1, 2 (fractions; the tables print x100)
AVERAGE_AFTER = {"acc": [0.10, 0.20, 0.30], "fmt": [0.50, 0.50, 0.80]}
EXP3_AFTER = {"acc": [0.30, 0.40, 0.60], "fmt": [0.40, 0.50, 0.60]}
AVERAGE_BEFORE = {"acc": [0.05, 0.10, 0.15], "fmt": [0.20, 0.30, 0.40]}
EXP3_BEFORE = {"acc": [0.07, 0.10, 0.13], "fmt": [0.20, 0.30, 0.40]}


def _metric_rows(arm_cycle):
    rows = []
    for step in range(1, 5):
        row = {"step": step, "weight/acc": 0.25 * step, "weight/fmt": 1 - 0.25 * step}
        row.update({"reward/acc": 0.1 * step, "reward/fmt": 0.5, "scaled/acc": 0.0})
        if arm_cycle:
            row.update(arm=arm_cycle[step % len(arm_cycle)], categories="math,code")
        rows.append(row)
    return rows


def make_run(folder, *, method, trainer, balancer, seed, before, after, arms=None, exp="toy"):
    """A finished run directory; ``before``/``after``: {metric: score}."""
    (folder / ".hydra").mkdir(parents=True)
    cfg = {
        "exp_name": exp,
        "seed": seed,
        "model": {"name_or_path": "org/tiny-model"},
        "trainer": {"name": trainer, "method": method},
        "balancer": {"name": balancer},
    }
    OmegaConf.save(OmegaConf.create(cfg), folder / ".hydra" / "config.yaml")
    overrides = [f"balancer={balancer}", f"trainer={trainer}", f"seed={seed}", f"+exp={exp}"]
    OmegaConf.save(OmegaConf.create(overrides), folder / ".hydra" / "overrides.yaml")
    choices = {"hydra": {"runtime": {"choices": {"model": "tiny_gpt2", "balancer": balancer}}}}
    OmegaConf.save(OmegaConf.create(choices), folder / ".hydra" / "hydra.yaml")
    rows = _metric_rows(arms)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = {
        "exp": exp,
        "method": method,
        "seed": seed,
        "eval": {"before": before, "after": after},
        "steps": 4,
        "wall_s": 1.5,
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def make_remax_run(folder, balancer="inverse", seed=0, before=0.1, after=0.2, **kw):
    """A finished DRBO (ReMax) run scoring one metric, ``acc``."""
    return make_run(
        folder,
        method="drbo",
        trainer="remax",
        balancer=balancer,
        seed=seed,
        before={"acc": before},
        after={"acc": after},
        **kw,
    )


def _pick(scores, i):
    return {m: v[i] for m, v in scores.items()}


def make_runs(root):
    """2 methods x 3 seeds under ``root`` plus one failed run (no summary.json)."""
    methods = (  # balancer, method, trainer, before, after, arms logged per step
        ("average", "drbo", "remax", AVERAGE_BEFORE, AVERAGE_AFTER, None),
        ("exp3", "laser", "laser_dpo", EXP3_BEFORE, EXP3_AFTER, ["acc", "acc", "fmt", "acc"]),
    )
    for seed in range(3):
        for balancer, method, trainer, before, after, arms in methods:
            make_run(
                root / f"{balancer}_s{seed}",
                method=method,
                trainer=trainer,
                balancer=balancer,
                seed=seed,
                before=_pick(before, seed),
                after=_pick(after, seed),
                arms=arms,
            )
    failed = root / "exp3_s3_crashed"
    (failed / ".hydra").mkdir(parents=True)
    (failed / "metrics.jsonl").write_text(json.dumps({"step": 1}) + "\n")
    return root


def table_rows(path):
    """table.csv (or ttest.csv keyed by method) as {method: row}."""
    with open(path, newline="") as f:
        return {row["method"]: row for row in csv.DictReader(f)}


def md_rows(path):
    """A Markdown table's rows as {first cell: cells}."""
    lines = [line for line in path.read_text().splitlines() if line.startswith("| ")]
    return {
        cells[0]: cells
        for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines)
    }
