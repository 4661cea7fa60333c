"""IFEval's official accuracies of predictions on IFEval-format rows (IFEval, IFBench, the
project's testbed), with `if-verifiable`'s checkers (common/rewards/ifeval_checks.py).

    prompt-level strict      = mean over prompts of [every instruction passes strictly]
    instruction-level strict = strictly passed instructions / all instructions
    (loose: the same with IFEval's loose response variants)

as in Google's ``instruction_following_eval/evaluation_main.py``. Also the instruction-level
strict accuracy of each family (the part of the id before ``:``) and the instructions whose
checker could not run (counted as failed, reported by id).

Every score comes with its 95 % bootstrap interval and n (:func:`intervals`): prompts are
resampled with replacement (the instructions of a prompt stay together: they share one
response) and each accuracy recomputed on the resample, an instruction-level one as passed /
instructions of the resampled prompts (:func:`common.evaluation.stats.bootstrap_ratios`). A family's
interval resamples the prompts holding that family's instructions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from common.data.types import Example
from common.evaluation.stats import (
    CONFIDENCE,
    RESAMPLES,
    SEED,
    bootstrap_ratios,
    format_mean_ci,
    interval_from,
    method_record,
)
from common.rewards.ifeval_checks import InstructionCheck, check_response, family_of

ACCURACIES = ("prompt_strict", "instruction_strict", "prompt_loose", "instruction_loose")


def check_predictions(
    examples: Sequence[Example], predictions: Sequence[str | None]
) -> list[list[InstructionCheck]]:
    """Per example, the verdict of each of its instructions (a None prediction is "")."""
    if len(examples) != len(predictions):
        raise ValueError(f"{len(examples)} examples but {len(predictions)} predictions")
    out = []
    for ex, pred in zip(examples, predictions, strict=True):
        gold = ex.gold
        out.append(
            check_response(
                ex.prompt,
                pred or "",
                gold["instruction_id_list"],
                gold["kwargs"],
                gold.get("registry", "ifeval"),
            )
        )
    return out


def accuracies(checks: Sequence[Sequence[InstructionCheck]]) -> dict[str, Any]:
    """The four official accuracies (0-1), per-family instruction-level strict accuracy,
    counts, and the unscorable instructions ``{id: count}``."""
    n_prompts = len(checks)
    flat = [c for row in checks for c in row]
    if not n_prompts or not flat:
        raise ValueError("no instructions to score")
    by_family: dict[str, list[bool]] = defaultdict(list)
    for c in flat:
        by_family[family_of(c.instruction_id)].append(c.strict)
    return {
        "prompt_strict": sum(all(c.strict for c in row) for row in checks) / n_prompts,
        "instruction_strict": sum(c.strict for c in flat) / len(flat),
        "prompt_loose": sum(all(c.loose for c in row) for row in checks) / n_prompts,
        "instruction_loose": sum(c.loose for c in flat) / len(flat),
        "per_family": {f: sum(v) / len(v) for f, v in sorted(by_family.items())},
        "family_counts": {f: len(v) for f, v in sorted(by_family.items())},
        "n_prompts": n_prompts,
        "n_instructions": len(flat),
        "unscorable": dict(Counter(c.instruction_id for c in flat if c.error is not None)),
    }


def per_prompt_counts(
    checks: Sequence[Sequence[InstructionCheck]],
) -> tuple[np.ndarray, np.ndarray]:
    """Numerators and denominators of the four accuracies per prompt, shape (P, 4) each,
    columns in :data:`ACCURACIES` order: a prompt-level one is [all pass] / 1, an
    instruction-level one passed / instructions, so each accuracy is sum num / sum den."""
    num = np.array(
        [
            (
                all(c.strict for c in row),
                sum(c.strict for c in row),
                all(c.loose for c in row),
                sum(c.loose for c in row),
            )
            for row in checks
        ],
        dtype=np.float64,
    ).reshape(-1, len(ACCURACIES))
    sizes = np.array([len(row) for row in checks], dtype=np.float64)
    den = np.stack([np.ones_like(sizes), sizes, np.ones_like(sizes), sizes], axis=1)
    return num, den


def family_counts(
    checks: Sequence[Sequence[InstructionCheck]],
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The families present and, per prompt and family, the strictly passed instructions and
    all instructions: (families F, passed (P, F), total (P, F))."""
    fams = sorted({family_of(c.instruction_id) for row in checks for c in row})
    column = {f: j for j, f in enumerate(fams)}
    passed = np.zeros((len(checks), len(fams)))
    total = np.zeros((len(checks), len(fams)))
    for i, row in enumerate(checks):
        for c in row:
            total[i, column[family_of(c.instruction_id)]] += 1
            passed[i, column[family_of(c.instruction_id)]] += c.strict
    return fams, passed, total


def intervals(
    checks: Sequence[Sequence[InstructionCheck]],
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> dict[str, Any]:
    """95 % bootstrap intervals over prompts of every reported score (module docstring).

    Returns:
        ``{"per_metric": {accuracy: {value, lo, hi, n}}, "per_task": {family: {...}},
        "overall": {...}, "method": {...}}`` on a 0-1 scale; ``n`` is what the score counts:
        prompts for a prompt-level accuracy and for ``overall`` (the mean of the four,
        recomputed per resample), instructions for an instruction-level one and a family.
    """
    num, den = per_prompt_counts(checks)
    point, samples = bootstrap_ratios(num, den, resamples, seed)  # (4,), (R, 4)
    n_prompts, n_instructions = len(checks), int(den[:, 1].sum())
    per_metric = {
        k: interval_from(
            point[j],
            samples[:, j],
            n_prompts if k.startswith("prompt") else n_instructions,
            confidence,
        ).to_dict()
        for j, k in enumerate(ACCURACIES)
    }
    overall = interval_from(point.mean(), samples.mean(axis=1), n_prompts, confidence)
    fams, passed, total = family_counts(checks)
    per_task = {}
    for j, fam in enumerate(fams):
        holds = total[:, j] > 0  # the prompts holding the family are its rows
        p, s = bootstrap_ratios(passed[holds, j : j + 1], total[holds, j : j + 1], resamples, seed)
        per_task[fam] = interval_from(p[0], s[:, 0], int(total[:, j].sum()), confidence).to_dict()
    method = {
        **method_record(resamples, confidence, seed),
        "method": "percentile bootstrap over prompts (instruction-level: passed / instructions "
        "of the resampled prompts; a family: the prompts holding it)",
    }
    return {
        "per_task": per_task,
        "per_metric": per_metric,
        "overall": overall.to_dict(),
        "method": method,
    }


def official_intervals(
    before: Sequence[Sequence[InstructionCheck]] | None,
    after: Sequence[Sequence[InstructionCheck]] | None,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> dict[str, Any]:
    """Intervals of the four official accuracies before and after training, and of each paired
    ``after - before`` difference, keyed ``ifeval/<accuracy>`` like a run's ``eval_official``.

    Paired: the two sides are the same prompts, so each resample draws one set of prompts and
    takes both sides' ratios of sums on it (:func:`per_prompt_counts`), e.g. prompt-level
    strict's difference = sum_i (after_i - before_i) / P over the resampled prompts i.

    Args:
        before, after: per prompt, its instructions' verdicts (either may be None or empty).

    Returns:
        ``{"before": {key: {value, lo, hi, n}}, "after": {...}, "difference": {key: {value,
        lo, hi, n, within_noise}}, "method": {...}}``: the shape of
        :func:`common.evaluation.stats.eval_intervals`; a side without rows is left out, and
        a difference needs the same number of prompts on both sides; ``{}`` without either.
        ``n`` counts prompts for a prompt-level accuracy, instructions for an
        instruction-level one and a family (``ifeval/family/<family>``: its instruction-level
        strict accuracy, as ``experiments.evaluate`` reports it).
    """
    if not before and not after:
        return {}
    out: dict[str, Any] = {"method": method_record(resamples, confidence, seed)}
    counts = {}
    for phase, checks in (("before", before), ("after", after)):
        if not checks:
            continue
        counts[phase] = per_prompt_counts(checks)  # (P, 4) each
        side = intervals(checks, resamples, confidence, seed)  # each side alone
        out[phase] = {f"ifeval/{k}": v for k, v in side["per_metric"].items()} | {
            f"ifeval/family/{f}": v for f, v in side["per_task"].items()
        }
    if len(counts) == 2 and len(counts["before"][0]) == len(counts["after"][0]):
        (nb, db), (na, da) = counts["before"], counts["after"]
        # one bootstrap of the 8 columns side by side: the same prompts on both sides
        point, samples = bootstrap_ratios(np.hstack([nb, na]), np.hstack([db, da]), resamples, seed)
        k4 = len(ACCURACIES)
        table = {}
        for j, k in enumerate(ACCURACIES):
            iv = interval_from(
                point[k4 + j] - point[j],
                samples[:, k4 + j] - samples[:, j],
                _n_of(k, da),
                confidence,
            )
            table[f"ifeval/{k}"] = {**iv.to_dict(), "within_noise": iv.contains_zero}
        out["difference"] = table
        _add_family_differences(out, before, after, resamples, confidence, seed)
    return out


def _add_family_differences(out, before, after, resamples, confidence, seed) -> None:
    """Each family's paired after - before difference of instruction-level strict accuracy
    (``ifeval/family/<family>``), resampling the prompts that hold the family."""
    (fb, pb, tb), (fa, pa, ta) = family_counts(before), family_counts(after)
    for fam in sorted(set(fb) & set(fa)):
        jb, ja = fb.index(fam), fa.index(fam)
        holds = tb[:, jb] > 0  # the same prompts hold it on both sides
        num = np.stack([pb[holds, jb], pa[holds, ja]], axis=1)
        den = np.stack([tb[holds, jb], ta[holds, ja]], axis=1)
        p, smp = bootstrap_ratios(num, den, resamples, seed)
        iv = interval_from(p[1] - p[0], smp[:, 1] - smp[:, 0], int(den[:, 1].sum()), confidence)
        out["difference"][f"ifeval/family/{fam}"] = {
            **iv.to_dict(),
            "within_noise": iv.contains_zero,
        }


def _n_of(accuracy: str, den: np.ndarray) -> int:
    """What an accuracy counts: prompts (prompt-level) or instructions (instruction-level)."""
    return int(den.shape[0]) if accuracy.startswith("prompt") else int(den[:, 1].sum())


def score_ifeval(
    examples: Sequence[Example],
    predictions: Sequence[str | None],
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> dict:
    """The evaluation contract ``{"per_task", "per_metric", "overall"}`` for IFEval-format
    data, plus the details of :func:`accuracies`, the counts behind each score and their
    intervals (the schema of ShopBench's ``experiments.evaluate --out``):

        per_metric: the four official accuracies;
        per_task:   instruction-level strict accuracy per instruction family;
        overall:    the mean of the four accuracies;
        n:          {"per_task": instructions per family, "per_metric": prompts for a
                    prompt-level accuracy, instructions for an instruction-level one,
                    "overall": prompts};
        ci:         each score's {value, lo, hi, n} and the bootstrap settings
                    (:func:`intervals`); left out with 0 resamples.
    """
    checks = check_predictions(examples, predictions)
    acc = accuracies(checks)
    per_metric = {k: acc[k] for k in ACCURACIES}
    scores = {
        "per_task": acc["per_family"],
        "per_metric": per_metric,
        "overall": sum(per_metric.values()) / len(per_metric),
        "details": acc,
        "n": {
            "per_task": dict(acc["family_counts"]),
            "per_metric": {
                k: acc["n_prompts"] if k.startswith("prompt") else acc["n_instructions"]
                for k in ACCURACIES
            },
            "overall": acc["n_prompts"],
        },
    }
    if resamples > 0:
        scores["ci"] = intervals(checks, resamples, seed=seed)
    return scores


def format_report(scores: dict) -> str:
    """The four accuracies and the per-family table, x100 as ``mean ± half-width`` of the
    95 % interval (the bare mean without one), each with the n behind it."""
    d, n, ci = scores["details"], scores.get("n", {}), scores.get("ci", {})
    metric_ci, task_ci = ci.get("per_metric", {}), ci.get("per_task", {})
    metric_n = n.get("per_metric", {})
    lines = [f"{d['n_prompts']} prompts, {d['n_instructions']} instructions", ""]
    lines.append(f"{'accuracy':<20} {'n':>6}  score")
    lines += [
        f"{k:<20} {metric_n.get(k, ''):>6}  "
        f"{format_mean_ci(scores['per_metric'][k], metric_ci.get(k))}"
        for k in ACCURACIES
    ]
    lines += ["", f"{'family (inst. strict)':<28} {'n':>5}  score"]
    for fam, v in scores["per_task"].items():
        lines.append(
            f"{fam:<28} {d['family_counts'][fam]:>5}  {format_mean_ci(v, task_ci.get(fam))}"
        )
    lines += [
        "",
        "overall (mean of the four accuracies): "
        f"{format_mean_ci(scores['overall'], ci.get('overall'))}",
    ]
    if ci:
        m = ci["method"]
        lines.append(
            f"± = half-width of the {100 * m['confidence']:.0f} % bootstrap interval over "
            f"prompts ({m['resamples']} resamples, seed {m['seed']})"
        )
        lines.append(
            "n = prompts (prompt-level, overall), instructions (instruction-level, families)"
        )
    if d["unscorable"]:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(d["unscorable"].items()))
        lines.append(
            f"not scorable here (checker raised, counted as failed): {listed} -- IFBench's "
            "stop-word and part-of-speech checkers need NLTK corpora that are not bundled"
        )
    return "\n".join(lines)


def official_scores(examples: Sequence[Example], predictions: Sequence[str]) -> dict[str, float]:
    """``{"ifeval/prompt_strict": ..., ...}``: the four official accuracies when every example
    is an IFEval-format row (a training run's held-out evaluation adds them to the summary
    beside the per-family rewards), else ``{}``."""
    return official_from_checks(official_checks(examples, predictions))


def official_from_checks(checks: Sequence[Sequence[InstructionCheck]] | None) -> dict[str, float]:
    """``{"ifeval/prompt_strict": ..., ...}`` of :func:`official_checks`' verdicts ({} for None)."""
    if checks is None:
        return {}
    acc = accuracies(checks)
    return {f"ifeval/{k}": acc[k] for k in ACCURACIES}


def official_checks(
    examples: Sequence[Example], predictions: Sequence[str]
) -> list[list[InstructionCheck]] | None:
    """Each prompt's instruction verdicts when every example is an IFEval-format row, else
    None (the rows behind :func:`official_scores` and :func:`official_intervals`)."""
    if not examples or not all(
        isinstance(ex.gold, dict) and "instruction_id_list" in ex.gold for ex in examples
    ):
        return None
    return check_predictions(examples, predictions)
