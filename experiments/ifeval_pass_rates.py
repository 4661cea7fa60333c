"""Sampled and greedy pass rates of a policy per constraint family on IFEval-format prompts.

    python -m experiments.ifeval_pass_rates [--model default] [--rows 56] [--samples 4] \
        [--max-new-tokens 96] [--temperature 0.8] [--top-p 0.8] [--out rates.json]

A family whose sampled pass rate is 0 gives ReMax/GRPO no gradient whatever its weight, so
the testbed's constraints were chosen for a non-zero sampled rate in every family; this
measures it (on the bundled training prompts by default: never on evaluation files). Rows
are drawn with ``--seed``, stratified over their first family.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path


def pass_rates(examples, texts: Sequence[str], n: int) -> dict[str, dict[str, float | int]]:
    """Per family: instruction-level strict pass rate over the ``n`` responses of each row
    (texts hold n adjacent responses per example) and the count of checks."""
    from common.rewards.ifeval_checks import check_response, family_of

    passed: dict[str, list[bool]] = defaultdict(list)
    for i, ex in enumerate(examples):
        for text in texts[i * n : (i + 1) * n]:
            g = ex.gold
            for c in check_response(
                ex.prompt, text, g["instruction_id_list"], g["kwargs"], g["registry"], loose=False
            ):
                passed[family_of(c.instruction_id)].append(c.strict)
    return {
        f: {"rate": sum(v) / len(v), "passed": sum(v), "n": len(v)}
        for f, v in sorted(passed.items())
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.ifeval_pass_rates")
    parser.add_argument("--model", default="default")
    parser.add_argument("--data", default=None, help="IFEval-format file (default: testbed train)")
    parser.add_argument("--rows", type=int, default=56)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-p", type=float, default=0.8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from experiments.output_paths import (
        OutputOverInputError,
        model_folders,
        refuse_outputs_over_inputs,
    )

    try:  # before the generation: --out the --data file would replace the prompts
        refuse_outputs_over_inputs(
            {"--data": args.data}, {"--out": args.out}, {"--model": model_folders(args.model)}
        )
    except OutputOverInputError as err:
        parser.error(str(err))

    import torch

    from common.data import load_dataset
    from common.data.formatting import format_prompt
    from common.data.run_data import _stratified_cap
    from common.generation.rollout import generate
    from common.training.checkpoint_policy import load_policy

    examples = _stratified_cap(load_dataset("ifeval", args.data), args.rows, args.seed)
    model, tok = load_policy(args.model)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    start = time.perf_counter()
    sampled, greedy = [], []
    for s in range(0, len(examples), args.batch_size):
        chunk = [format_prompt(tok, ex.prompt) for ex in examples[s : s + args.batch_size]]
        common = dict(max_new_tokens=args.max_new_tokens, max_prompt_tokens=256)
        sampled += generate(
            model,
            tok,
            chunk,
            do_sample=True,
            temperature=args.temperature,
            top_p=args.top_p,
            num_return_sequences=args.samples,
            **common,
        ).texts
        greedy += generate(model, tok, chunk, do_sample=False, **common).texts
        print(f"{s + len(chunk)}/{len(examples)} rows, {time.perf_counter() - start:.0f} s")
    report = {
        "rows": len(examples),
        "samples_per_row": args.samples,
        "max_new_tokens": args.max_new_tokens,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "sampled": pass_rates(examples, sampled, args.samples),
        "greedy": pass_rates(examples, greedy, 1),
        "wall_s": round(time.perf_counter() - start, 1),
    }
    print(f"{'family':<22} {'sampled':>14} {'greedy':>12}")
    for fam, r in report["sampled"].items():
        g = report["greedy"][fam]
        print(
            f"{fam:<22} {r['passed']:>4}/{r['n']:<4} {100 * r['rate']:5.1f}"
            f" {g['passed']:>3}/{g['n']:<3} {100 * g['rate']:5.1f}"
        )
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
