"""IFEval's official accuracies of predictions on IFEval-format rows (IFEval, IFBench, the
project's testbed), with `if-verifiable`'s checkers (common/rewards/ifeval_checks.py).

    prompt-level strict      = mean over prompts of [every instruction passes strictly]
    instruction-level strict = strictly passed instructions / all instructions
    (loose: the same with IFEval's loose response variants)

as in Google's ``instruction_following_eval/evaluation_main.py``. Also the instruction-level
strict accuracy of each family (the part of the id before ``:``) and the instructions whose
checker could not run (counted as failed, reported by id).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from common.data.types import Example
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


def score_ifeval(examples: Sequence[Example], predictions: Sequence[str | None]) -> dict:
    """The evaluation contract ``{"per_task", "per_metric", "overall"}`` for IFEval-format
    data, plus the details of :func:`accuracies`:

        per_metric: the four official accuracies;
        per_task:   instruction-level strict accuracy per instruction family;
        overall:    the mean of the four accuracies.
    """
    acc = accuracies(check_predictions(examples, predictions))
    per_metric = {k: acc[k] for k in ACCURACIES}
    return {
        "per_task": acc["per_family"],
        "per_metric": per_metric,
        "overall": sum(per_metric.values()) / len(per_metric),
        "details": acc,
    }


def format_report(scores: dict) -> str:
    """The four accuracies and the per-family table, x100."""
    d = scores["details"]
    lines = [f"{d['n_prompts']} prompts, {d['n_instructions']} instructions", ""]
    lines += [f"{k:<20} {100 * scores['per_metric'][k]:6.2f}" for k in ACCURACIES]
    lines += ["", f"{'family (inst. strict)':<28} {'n':>5}  score"]
    for fam, v in scores["per_task"].items():
        lines.append(f"{fam:<28} {d['family_counts'][fam]:>5}  {100 * v:6.2f}")
    lines += ["", f"overall (mean of the four accuracies): {100 * scores['overall']:.2f}"]
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
    if not examples or not all(
        isinstance(ex.gold, dict) and "instruction_id_list" in ex.gold for ex in examples
    ):
        return {}
    acc = accuracies(check_predictions(examples, predictions))
    return {f"ifeval/{k}": acc[k] for k in ACCURACIES}
