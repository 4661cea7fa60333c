"""Collect every ``bench/results/*.json`` into ``bench/results/SUMMARY.md`` and print it.

    python -m bench.summary [--results-dir bench/results]

A result file may carry ``verdicts``: a list of ``{"name", "value", "target", "pass",
"line"}``; they are gathered into one table at the top. Known benches get a section of
their headline figures; any other file (e.g. a peer comparison written by another bench)
gets its top-level figures listed, so a new bench shows up without touching this file.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, pass_word, write_atomic


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
    return out


# ---- verdicts --------------------------------------------------------------------------------
def derived_verdicts(name: str, res: dict[str, Any]) -> list[dict[str, Any]]:
    """Verdicts of result files written before the ``verdicts`` field existed."""
    if name == "laser" and "bandit" in res:
        share = res["bandit"]["linucb_share_of_tiny_step"]
        s = res["rm_scoring"]
        target = 1.1 * s["one_over_k"]
        return [
            {
                "name": "laser: LinUCB share of a tiny LASeR step",
                "value": share,
                "target": "< 0.01",
                "pass": share < 0.01,
            },
            {
                "name": "laser: bandit / ensemble RM scoring cost",
                "value": s["uniform_bandit_ratio"],
                "target": f"<= {target:.3f}",
                "pass": s["uniform_bandit_ratio"] <= target,
            },
        ]
    if isinstance(res.get("verdict"), str):  # a bench with one free-text verdict
        return [_from_text(name, res["verdict"])]
    return []


def _from_text(name: str, text: str) -> dict[str, Any]:
    """A free-text verdict (``"PASS ratio 0.39 (target <= 0.6)"``): PASS / FAIL / SKIP
    read from its words (SKIP, or neither word: pass None)."""
    words = text.upper()
    passed = (
        None
        if "SKIP" in words
        else ("FAIL" not in words if "PASS" in words or "FAIL" in words else None)
    )
    return {"name": name, "value": "", "target": "", "pass": passed, "line": text}


def verdicts_of(name: str, res: dict[str, Any]) -> list[dict[str, Any]]:
    v = res.get("verdicts")
    if isinstance(v, list):
        return list(v)
    if isinstance(v, dict):  # {check: "PASS ratio 0.39 (target <= 0.6)"}
        return [_from_text(f"{name}: {k}", str(text)) for k, text in v.items()]
    return derived_verdicts(name, res)


def _verdict_word(passed: bool | None) -> str:
    return "SKIP" if passed is None else pass_word(passed)


# ---- sections --------------------------------------------------------------------------------
def _breakdown(res: dict[str, Any]) -> list[str]:
    rows = [[p, res["parts_s"][p], f"{100 * res['shares'][p]:.1f}%"] for p in res["parts_s"]]
    rows.append(["**step**", res["step_s"], "100%"])
    head = (
        f"{res.get('model')} (+exp={res.get('exp')}), median of "
        f"{res.get('steps_with_update') or res.get('steps_measured')} steps"
        f"{' with an update' if res.get('steps_with_update') else ''} after "
        f"{res.get('warmup_steps', 1)} warm-up; outside model compute "
        f"{100 * res.get('outside_model_share', 0):.1f}%; generation "
        f"{res.get('tokens_per_s')} tokens/s"
    )
    return [head, "", *_table(["part", "seconds", "share"], rows)]


def _closeness(res: dict[str, Any]) -> list[str]:
    rows = [[f"bare {k}", v] for k, v in res["bare_parts_s"].items()]
    rows += [["bare sum", res["bare_sum_s"]], ["framework step", res["step_s"]]]
    g = res["rollout"]
    out = [
        f"{res['model']}, batch {res['batch_size']}, {res['max_new_tokens']} new tokens; "
        f"step / bare = {res['step_ratio']} (per step {_fmt(res['step_ratios'])}); "
        f"framework / bare per part: "
        + ", ".join(f"{k} {v}" for k, v in res["part_ratios"].items()),
        "",
        *_table(["part", "seconds"], rows),
        "",
        f"Rollout: sample {g['sample']['rollout_tokens_per_s']} vs bare "
        f"{g['sample']['bare_tokens_per_s']} tok/s, greedy {g['greedy']['rollout_tokens_per_s']}"
        f" vs {g['greedy']['bare_tokens_per_s']} tok/s (ratio {g['ratio']}).",
    ]
    if "logits_to_keep" in res:
        k = res["logits_to_keep"]
        out.append(
            f"Policy fwd+bwd with logits only for response positions: "
            f"{k['policy_fwd_bwd_keep_s']} s vs {k['policy_fwd_bwd_full_s']} s (x{k['ratio']})."
        )
    return out


def _scaling(res: dict[str, Any]) -> list[str]:
    def cells(key: str, growth: list[float], items: list[dict]) -> list[list[Any]]:
        return [
            [c[key], c["step_s"], f"x{growth[i - 1]}" if i else ""] for i, c in enumerate(items)
        ]

    return [
        f"{res['model']}, median of {res['steps_measured']} steps per cell",
        "",
        *_table(
            ["batch", "step s", "growth"], cells("batch_size", res["batch_growth"], res["by_batch"])
        ),
        "",
        *_table(
            ["new tokens", "step s", "growth"],
            cells("new_tokens", res["length_growth"], res["by_length"]),
        ),
    ]


def _memory(res: dict[str, Any]) -> list[str]:
    rows = [
        [f"ZeRO-{s}", r["rank"], r["base_mb"], r["setup_peak_mb"], r["train_peak_mb"], r["peak_mb"]]
        for s, st in res["stages"].items()
        for r in st["ranks"]
    ]
    return [
        f"{res['model']} ({res['params'] / 1e6:.1f} M params), {res['nproc']} processes, "
        f"{res['steps']} ReMax steps; MB per rank",
        "",
        *_table(["stage", "rank", "base", "setup peak", "train peak", "peak"], rows),
    ]


def _metrics(res: dict[str, Any]) -> list[str]:
    rows = [[k, v["samples_per_s"]] for k, v in res.get("string_metrics", {}).items()]
    for k, by_b in res.get("embedding_metrics", {}).items():
        rows += [[f"{k} (batch {b})", v["samples_per_s"]] for b, v in by_b.items()]
    return _table(["metric", "samples/s"], rows)


def _laser(res: dict[str, Any]) -> list[str]:
    b, s = res["bandit"], res["rm_scoring"]
    return [
        f"LinUCB d={b['linucb_dim']} decide+update {1e3 * b['linucb_decide_update_s']:.2f} ms = "
        f"{100 * b['linucb_share_of_tiny_step']:.2f}% of a tiny LASeR step "
        f"({b['tiny_step_s']} s); RM scoring: bandit/ensemble {s['uniform_bandit_ratio']} "
        f"(1/K = {s['one_over_k']})."
    ]


def _generic(res: dict[str, Any]) -> list[str]:
    rows = []
    for k, v in res.items():
        if k in ("machine", "verdicts"):
            continue
        if isinstance(v, dict):
            rows += [
                [f"{k}.{k2}", v2]
                for k2, v2 in v.items()
                if isinstance(v2, (int, float, str, bool)) or v2 is None
            ]
        elif isinstance(v, (int, float, str, bool)) or v is None:
            rows.append([k, v])
    return _table(["figure", "value"], rows) if rows else ["(no scalar figures)"]


SECTIONS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "metrics": _metrics,
    "drbo_step": _breakdown,
    "dpo_step": _breakdown,
    "laser": _laser,
    "closeness": _closeness,
    "scaling": _scaling,
    "memory": _memory,
}
TITLES = {
    "metrics": "Metric throughput",
    "drbo_step": "DRBO ReMax step breakdown",
    "dpo_step": "LASeR DPO step breakdown",
    "laser": "LASeR bandit and RM-scoring costs",
    "closeness": "Closeness to the limit",
    "scaling": "Scaling",
    "memory": "Memory per process (ZeRO stages)",
    "peers": "Comparison with peer implementations",
    "precision": "precision=auto against fp32 (ReMax, LASeR DPO, autocast)",
    "decode": "Decode against the memory-bandwidth bound",
    "decode_lora": "Decode of a LoRA policy: adapters folded into the weights vs run by peft",
    "numerics": "The main job in bf16 and fp32 from the same seed",
}


def build_summary(results_dir: Path) -> str:
    files = sorted(p for p in Path(results_dir).glob("*.json"))
    loaded: list[tuple[str, dict[str, Any]]] = []
    for p in files:
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except ValueError as e:
            loaded.append((p.stem, {"error": f"unreadable: {e}"}))
            continue
        loaded.append((p.stem, data if isinstance(data, dict) else {"value": data}))
    lines = ["# Benchmark summary", ""]
    machine = next((d["machine"] for _, d in loaded if isinstance(d.get("machine"), dict)), None)
    if machine:
        lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()), ""]
    if not loaded:
        return "\n".join([*lines, f"No result files in {results_dir}.", ""])
    verdicts = [(n, v) for n, d in loaded for v in verdicts_of(n, d)]
    if verdicts:
        rows = [
            [
                v.get("name", n),
                v.get("value", "") if v.get("value", "") != "" else v.get("line", ""),
                v.get("target", ""),
                _verdict_word(v.get("pass")),
            ]
            for n, v in verdicts
        ]
        n_pass = sum(1 for _, v in verdicts if v.get("pass") is True)
        n_run = sum(1 for _, v in verdicts if v.get("pass") is not None)
        skipped = len(verdicts) - n_run
        lines += [
            f"## Verdicts ({n_pass}/{n_run} pass" + (f", {skipped} skipped)" if skipped else ")"),
            "",
        ]
        lines += [*_table(["check", "value", "target", "verdict"], rows), ""]
    for name, data in loaded:
        lines += [f"## {TITLES.get(name, name)} (`{name}.json`)", ""]
        render = SECTIONS.get(name, _generic)
        try:
            lines += render(data)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            lines += _generic(data)  # a file of an older or newer layout: figures as they are
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    ap.add_argument("--quiet", action="store_true", help="write SUMMARY.md without printing")
    args = ap.parse_args(argv)
    text = build_summary(args.results_dir)
    write_atomic(args.results_dir / "SUMMARY.md", text)
    if not args.quiet:
        print(text)
    return text


if __name__ == "__main__":
    main()
