"""The analyses the LASeR paper reports, computed from run directories.

    python -m laser.analysis RUN_DIR [RUN_DIR ...] [--out DIR] [--pairs N]

A run directory holds ``metrics.jsonl`` (one row per step; bandit rows carry ``arm``, the
reward model picked, and ``categories``, the comma-joined category of each prompt of the
batch), ``summary.json`` and ``.hydra/config.yaml``. Analyses:

    arm utilization        fraction of steps each reward model was picked, overall and per
                           prompt category                        -> plots/arm_utilization.png
    RM agreement           pairwise F1 of K reward models' preferences on the same M response
                           pairs (``--pairs N``: 2 samples per eval prompt from the run's
                           policy)                                  -> plots/rm_agreement.png
    noise robustness       utilization of the reward model that ``rewards.noise`` perturbs, as
                           its noise sigma grows over several runs -> OUT/noise_robustness.png
    wall clock             seconds per step by part, RM-scoring time, total wall time, one
                           row per run                              -> OUT/wall_clock.md

Per-run figures go to each run's ``plots/``; cross-run outputs (and ``analysis.json`` with
every number) to ``--out`` (default: the run's ``plots/`` for one run, ``<common parent of
the runs>/analysis`` for several).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402

from common.run_dirs import _HYDRA_INTERP, load_run_config  # noqa: E402, F401
from common.tracking import read_metrics  # noqa: E402

log = logging.getLogger(__name__)

# The parts of a step every trainer times, in step order (metrics ``time/<part>_s``, the keys
# of common.mixers.step.TIME_KEYS): ``mixer`` is the bandit's decision and update.
TIME_PARTS = ("context", "mixer", "generate", "reward", "fwd_bwd", "optimizer")


# ---- arm utilization ---------------------------------------------------------------------------
def _arms_in_order(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every reward model of the run: the ``weight/<rm>`` columns (config order, so models
    the bandit never picked still show with 0), then any picked arm not among them."""
    names: list[str] = []
    for r in rows:
        for k in r:
            if k.startswith("weight/") and k[len("weight/") :] not in names:
                names.append(k[len("weight/") :])
    for r in rows:
        for arm in _picks(r):
            if arm not in names:
                names.append(arm)
    return names


def _picks(row: dict[str, Any]) -> list[str]:
    """The arms a row's step used: its ``arm`` (per batch), or one per prompt from ``arms``
    (``balancer.granularity=query``); [] for a step without an arm (an ensemble)."""
    if row.get("arms"):
        return str(row["arms"]).split(",")
    return [row["arm"]] if row.get("arm") is not None else []


def arm_utilization(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Fraction of bandit decisions that picked each reward model: steps per batch, prompts
    per query (``arms``).

    Args:
        rows: metrics.jsonl rows; rows without an ``arm`` (an ensemble step) are ignored.

    Returns:
        {rm: picks / steps with an arm}, every RM of the run (0.0 when never picked), in
        config order; {} when no row has an arm.
    """
    picks = Counter(a for r in rows for a in _picks(r))
    total = sum(picks.values())
    if not total:
        return {}
    return {a: picks[a] / total for a in _arms_in_order(rows)}


def arm_utilization_by_category(
    rows: Sequence[dict[str, Any]],
) -> dict[str, dict[str, float]]:
    """Per prompt category, the fraction of its prompts whose batch was scored by each arm.

    A step's arm counts once per entry of its ``categories`` (one entry per prompt), so a
    batch ``"math,math,code"`` scored by ``exact`` adds 2 to (math, exact) and 1 to
    (code, exact). Rows without an arm or without ``categories`` are ignored.

    Returns:
        {category: {rm: fraction}}, each inner dict summing to 1 over every RM of the run
        (0.0 for RMs never used on that category); categories sorted by name.
    """
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        picks = _picks(r)
        if not picks or not r.get("categories"):
            continue
        categories = str(r["categories"]).split(",")
        if len(picks) == 1:  # per batch: the one arm scored every prompt
            picks = picks * len(categories)
        for category, arm in zip(categories, picks, strict=True):
            counts[category][arm] += 1
    arms = _arms_in_order(rows)
    return {c: {a: counts[c][a] / sum(counts[c].values()) for a in arms} for c in sorted(counts)}


def _arm_colors(arms: Sequence[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    return {a: cmap(i % 10) for i, a in enumerate(arms)}


def plot_arm_utilization(rows: Sequence[dict[str, Any]], path: str | Path) -> Path | None:
    """Overall utilization bars (left) and per-category stacked bars (right); None (nothing
    written) when no row has an arm."""
    overall = arm_utilization(rows)
    if not overall:
        return None
    by_cat = arm_utilization_by_category(rows)
    arms = list(overall)
    colors = _arm_colors(arms)
    fig, (ax0, ax1) = plt.subplots(
        1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1, max(1.5, 0.5 * len(by_cat))]}
    )
    ax0.bar(arms, [overall[a] for a in arms], color=[colors[a] for a in arms])
    ax0.axhline(1 / len(arms), color="gray", ls="--", lw=1, label="uniform 1/K")
    ax0.set_ylim(0, 1)
    ax0.set_ylabel("fraction of steps")
    ax0.set_title("arm utilization (overall)")
    ax0.tick_params(axis="x", rotation=30)
    ax0.legend(fontsize=7)
    cats = list(by_cat)
    bottom = np.zeros(len(cats))
    for a in arms:
        share = np.array([by_cat[c][a] for c in cats])
        ax1.bar(cats, share, bottom=bottom, color=colors[a], label=a)
        bottom += share
    ax1.set_ylim(0, 1)
    ax1.set_ylabel("fraction of the category's prompts")
    ax1.set_title("arm utilization per prompt category")
    ax1.tick_params(axis="x", rotation=30)
    ax1.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# ---- reward-model agreement --------------------------------------------------------------------
def preferences(scores: np.ndarray) -> np.ndarray:
    """Each RM's preference on each pair: (K, M, 2) scores -> (K, M) ints.

    ``+1`` when the first response scores higher, ``-1`` when the second does, ``0`` for a
    tie or when either score is NaN (the RM did not score that pair): no preference.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 3 or scores.shape[2] != 2:
        raise ValueError(f"scores must have shape (K, M, 2), got {scores.shape}")
    diff = scores[..., 0] - scores[..., 1]
    return np.where(np.isnan(diff), 0, np.sign(np.nan_to_num(diff))).astype(int)


def rm_agreement(scores: np.ndarray) -> np.ndarray:
    """Pairwise agreement of K reward models on the same M response pairs.

    Args:
        scores: (K, M, 2): ``scores[k, m, j]`` is RM k's score of response j of pair m
            (NaN where RM k did not score it).

    Returns:
        F (K, K), float in [0, 1] or NaN. ``F[a, b]`` is the F1 of RM b's labels against RM
        a's as the reference, on the positive class "the first response is better":

            pairs     P_a = {m : pref_a(m) != 0}        (pairs where a has a preference)
            truth     y_m = pref_a(m) = +1              for m in P_a
            predicted p_m = pref_b(m) = +1              (b's tie or "second" -> negative)
            TP = #(y & p),  FP = #(~y & p),  FN = #(y & ~p)
            F[a, b] = 2 TP / (2 TP + FP + FN),  NaN when the denominator is 0

        with ``pref`` from :func:`preferences`. Not symmetrized: rows are the reference,
        columns the RM judged. On pairs where both RMs have a preference F1 is symmetric
        (swapping the two turns FP into FN); the matrix differs from its transpose only
        through ties, which shrink the reference's pair set and cost the judged RM a
        false negative. The diagonal is 1 wherever the RM ever prefers the first response.
    """
    pref = preferences(scores)
    K = pref.shape[0]
    out = np.full((K, K), np.nan)
    for a in range(K):
        on = pref[a] != 0
        y = pref[a][on] > 0
        for b in range(K):
            p = pref[b][on] > 0
            tp, fp, fn = int((y & p).sum()), int((~y & p).sum()), int((y & ~p).sum())
            if 2 * tp + fp + fn:
                out[a, b] = 2 * tp / (2 * tp + fp + fn)
    return out


def collect_pair_scores(
    cfg: DictConfig,
    examples: Sequence[Any],
    responses_a: Sequence[str],
    responses_b: Sequence[str],
) -> np.ndarray:
    """Score two responses per prompt with every reward source of the run's reward set.

    The reward set is the run's sources without ``rewards.noise``: agreement is a property
    of the reward models themselves.

    Args:
        cfg: the run config (``rewards.names``, ``rewards.routing``, ``rewards.options``).
        examples: M prompts (``common.data.types.Example``).
        responses_a, responses_b: the first and second response to each prompt (M each).

    Returns:
        (K, M, 2) float scores, K = len(cfg.rewards.names) in that order; NaN where routing
        does not let a source score a prompt.
    """
    from common.rewards.reward_set import RewardSet

    if not len(examples) == len(responses_a) == len(responses_b):
        raise ValueError(
            f"{len(examples)} examples, {len(responses_a)} first and {len(responses_b)} "
            "second responses: need one pair per example"
        )
    rs = RewardSet(cfg.rewards.names, cfg.rewards.routing, cfg.rewards.get("options"))
    sides = []
    for responses in (responses_a, responses_b):
        table = rs.score(examples, list(responses))
        sides.append(np.where(table.mask, table.scores, np.nan).T)  # (K, M)
    return np.stack(sides, axis=-1)


def plot_rm_agreement(matrix: np.ndarray, names: Sequence[str], path: str | Path) -> Path:
    """Heatmap of an :func:`rm_agreement` matrix with each value written in its cell."""
    matrix = np.asarray(matrix, dtype=float)
    K = len(names)
    fig, ax = plt.subplots(figsize=(1.2 * K + 2.5, 1.0 * K + 1.8))
    im = ax.imshow(np.ma.masked_invalid(matrix), vmin=0, vmax=1, cmap="viridis")
    for a in range(K):
        for b in range(K):
            v = matrix[a, b]
            text, color = ("n/a", "black") if np.isnan(v) else (f"{v:.2f}", "white")
            if not np.isnan(v) and v > 0.6:
                color = "black"  # dark text on viridis' bright end
            ax.text(b, a, text, ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(K), names, rotation=30)
    ax.set_yticks(range(K), names)
    ax.set_xlabel("RM judged (prediction)")
    ax.set_ylabel("reference RM")
    ax.set_title("RM agreement: F1 on 'first response is better'")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# ---- run configs -------------------------------------------------------------------------------
# load_run_config lives in common.run_dirs (imported above, so laser.analysis still exports it).
def _select(cfg: DictConfig | None, key: str, default: Any = None) -> Any:
    return default if cfg is None else OmegaConf.select(cfg, key, default=default)


def noise_setting(cfg: DictConfig | None) -> tuple[str | None, float]:
    """(noised source, sigma) from ``rewards.noise``; (None, 0.0) for a run without it."""
    name = _select(cfg, "rewards.noise.name")
    sigma = _select(cfg, "rewards.noise.sigma")
    return name, 0.0 if name is None or sigma is None else float(sigma)


# ---- noise robustness --------------------------------------------------------------------------
def noised_source(run_dirs: Sequence[str | Path]) -> str:
    """The one reward source the runs' ``rewards.noise.name`` perturbs.

    Raises:
        ValueError: no run sets ``rewards.noise``, or runs noise different sources.
    """
    names = {noise_setting(load_run_config(d))[0] for d in run_dirs} - {None}
    if len(names) != 1:
        raise ValueError(
            "noise robustness needs runs that perturb one source via rewards.noise.name; "
            f"found {sorted(names) or 'none'} in {[str(d) for d in run_dirs]}"
        )
    return names.pop()


def noise_robustness(run_dirs: Sequence[str | Path]) -> list[tuple[float, float]]:
    """Utilization of the noised reward model against the noise added to its scores.

    The runs differ by Gaussian noise N(0, sigma^2) on one source's scores
    (``rewards.noise.{name, sigma}`` in ``.hydra/config.yaml``); a run without
    ``rewards.noise`` is the sigma = 0 baseline.

    Returns:
        [(sigma, fraction of bandit steps that picked the noised source)], one per run,
        sorted by sigma (runs with equal sigma, e.g. seeds, keep their input order).

    Raises:
        ValueError: as :func:`noised_source`, or a run has no bandit step (no ``arm``).
    """
    name = noised_source(run_dirs)
    points = []
    for d in run_dirs:
        util = arm_utilization(read_metrics(Path(d) / "metrics.jsonl"))
        if not util:
            raise ValueError(f"{d}: no step picked an arm; noise robustness needs bandit runs")
        points.append((noise_setting(load_run_config(d))[1], util.get(name, 0.0)))
    return sorted(points, key=lambda p: p[0])


def plot_noise_robustness(
    series: dict[str, list[tuple[float, float]]], name: str, path: str | Path
) -> Path:
    """Utilization of the noised source vs sigma: each run a dot, the mean over runs of
    equal sigma a line; one series per label (e.g. per balancer)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, (label, points) in enumerate(sorted(series.items())):
        color = plt.get_cmap("tab10")(i % 10)
        xs, ys = zip(*points, strict=True)
        ax.scatter(xs, ys, color=color, alpha=0.5, s=18)
        sigmas = sorted(set(xs))
        means = [np.mean([u for s, u in points if s == x]) for x in sigmas]
        ax.plot(sigmas, means, marker="o", color=color, label=label)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"sigma of the Gaussian noise on {name}'s scores")
    ax.set_ylabel(f"utilization of {name}")
    ax.set_title("noise robustness: does the bandit drop a noisy RM?")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# ---- wall clock --------------------------------------------------------------------------------
def _mean_of(rows: Sequence[dict[str, Any]], key: str) -> float | None:
    values = [float(r[key]) for r in rows if isinstance(r.get(key), (int, float))]
    return float(np.mean(values)) if values else None


def wall_clock(run_dirs: Sequence[str | Path]) -> list[dict[str, Any]]:
    """One row per run comparing where the time goes.

    Keys: ``run`` (folder name), ``method`` (summary.json, else ``trainer.method``),
    ``balancer`` (``balancer.name``), ``steps`` (logged rows), ``<part>_s`` for each of
    :data:`TIME_PARTS` (mean over the steps that logged ``time/<part>_s``; the ``reward``
    part is the RM-scoring time per step), ``step_s`` (sum of the parts' means),
    ``mixer_share`` (mixer_s / step_s: the bandit's share) and ``wall_s`` (summary.json: the whole run,
    evaluation included). Missing figures are None. Every step counts, the first included,
    so the means add up to what the run cost.
    """
    table = []
    for d in run_dirs:
        d = Path(d)
        rows = read_metrics(d / "metrics.jsonl") if (d / "metrics.jsonl").exists() else []
        cfg = load_run_config(d)
        summary = (
            json.loads((d / "summary.json").read_text()) if (d / "summary.json").exists() else {}
        )
        row: dict[str, Any] = {
            "run": d.name,
            "method": summary.get("method", _select(cfg, "trainer.method")),
            "balancer": _select(cfg, "balancer.name"),
            "steps": len(rows),
        }
        parts = {p: _mean_of(rows, f"time/{p}_s") for p in TIME_PARTS}
        row.update({f"{p}_s": v for p, v in parts.items()})
        timed = [v for v in parts.values() if v is not None]
        row["step_s"] = sum(timed) if timed else None
        mixer = parts["mixer"]
        row["mixer_share"] = mixer / row["step_s"] if mixer is not None and row["step_s"] else None
        row["wall_s"] = summary.get("wall_s")
        table.append(row)
    return table


_COLUMNS = (
    ("run", "run"),
    ("method", "method"),
    ("balancer", "balancer"),
    ("steps", "steps"),
    ("context_s", "context s"),
    ("mixer_s", "bandit s"),
    ("generate_s", "generate s"),
    ("reward_s", "RM scoring s"),
    ("fwd_bwd_s", "fwd+bwd s"),
    ("optimizer_s", "optimizer s"),
    ("step_s", "step s"),
    ("mixer_share", "bandit %"),
    ("wall_s", "wall s"),
)


def _cell(key: str, v: Any) -> str:
    if v is None:
        return "–"
    if key == "mixer_share":
        return f"{100 * v:.2f}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def wall_clock_markdown(table: Sequence[dict[str, Any]]) -> str:
    """A :func:`wall_clock` table as markdown (seconds per step unless noted; ``wall s`` is
    the whole run)."""
    lines = [
        "| " + " | ".join(title for _, title in _COLUMNS) + " |",
        "|"
        + "|".join("---" if k in ("run", "method", "balancer") else "---:" for k, _ in _COLUMNS)
        + "|",
    ]
    for row in table:
        lines.append("| " + " | ".join(_cell(k, row.get(k)) for k, _ in _COLUMNS) + " |")
    return "\n".join(lines) + "\n"


# ---- sampling response pairs from a run's policy -------------------------------------------------
def sample_pair_scores(run_dir: str | Path, n_prompts: int) -> tuple[list[str], np.ndarray]:
    """Sample two responses for each of the first ``n_prompts`` eval prompts with the run's
    trained policy and score both with every reward source.

    Sampling uses the run's ``trainer.temperature`` / ``top_p`` (1.0 when unset), the
    run's per-task generation budgets and ``torch.manual_seed(seed)``.

    Returns:
        (source names (K,), scores (K, M, 2)), M = min(n_prompts, eval prompts).
    """
    import torch

    from common.assets import load_trained_policy
    from common.data.formatting import format_prompt
    from common.rollout import generate
    from common.run_data import load_run_data, max_new_tokens_for

    run_dir = Path(run_dir)
    cfg = load_run_config(run_dir)
    if cfg is None:
        raise FileNotFoundError(f"{run_dir}/.hydra/config.yaml not found: needed for --pairs")
    if not (run_dir / "final_model").is_dir():
        raise FileNotFoundError(
            f"{run_dir}/final_model not found: --pairs samples from the run's exported policy "
            "(trainer.export_final=true)"
        )
    names = list(cfg.rewards.names)
    _, evals = load_run_data(cfg.dataset, names, cfg.rewards.routing)
    if len(evals) < n_prompts:
        log.warning("%s: %d eval prompts, fewer than --pairs %d", run_dir, len(evals), n_prompts)
    examples = evals[:n_prompts]
    model, tok = load_trained_policy(str(run_dir))
    if torch.cuda.is_available():
        model = model.cuda()
    torch.manual_seed(int(cfg.get("seed", 0)))
    tr = cfg.get("trainer") or {}
    batch = int(tr.get("eval_batch_size", 8))
    first, second = [], []
    for s in range(0, len(examples), batch):
        chunk = examples[s : s + batch]
        r = generate(
            model,
            tok,
            [format_prompt(tok, ex.prompt) for ex in chunk],
            max_new_tokens=max(max_new_tokens_for(cfg.dataset, ex) for ex in chunk),
            do_sample=True,
            temperature=float(tr.get("temperature", 1.0)),
            top_p=float(tr.get("top_p", 1.0)),
            num_return_sequences=2,  # rows p0r0, p0r1, p1r0, ...
            max_prompt_tokens=cfg.dataset.get("max_prompt_tokens"),
        )
        first += r.texts[0::2]
        second += r.texts[1::2]
    return names, collect_pair_scores(cfg, examples, first, second)


# ---- CLI ---------------------------------------------------------------------------------------
def _default_out(run_dirs: Sequence[Path]) -> Path:
    if len(run_dirs) == 1:
        return run_dirs[0] / "plots"
    return Path(os.path.commonpath([str(d.resolve()) for d in run_dirs])) / "analysis"


def _jsonable(matrix: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else round(float(v), 4) for v in row] for row in matrix]


def analyse(
    run_dirs: Sequence[str | Path], out: str | Path | None = None, pairs: int = 0
) -> list[Path]:
    """Every analysis the given runs allow; returns the files written."""
    run_dirs = [Path(d) for d in run_dirs]
    for d in run_dirs:
        if not (d / "metrics.jsonl").exists():
            raise FileNotFoundError(f"{d}/metrics.jsonl not found: not a run directory")
    out = Path(out) if out is not None else _default_out(run_dirs)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    report: dict[str, Any] = {"runs": {}}
    for d in run_dirs:
        rows = read_metrics(d / "metrics.jsonl")
        (d / "plots").mkdir(exist_ok=True)
        entry: dict[str, Any] = {
            "arm_utilization": arm_utilization(rows),
            "arm_utilization_by_category": arm_utilization_by_category(rows),
        }
        path = plot_arm_utilization(rows, d / "plots" / "arm_utilization.png")
        if path is not None:
            written.append(path)
        if pairs > 0:
            names, scores = sample_pair_scores(d, pairs)
            matrix = rm_agreement(scores)
            entry["rm_agreement"] = {"names": names, "pairs": scores.shape[1]}
            entry["rm_agreement"]["f1"] = _jsonable(matrix)
            written.append(plot_rm_agreement(matrix, names, d / "plots" / "rm_agreement.png"))
        report["runs"][str(d)] = entry

    table = wall_clock(run_dirs)
    report["wall_clock"] = table
    (out / "wall_clock.md").write_text(wall_clock_markdown(table), encoding="utf-8")
    written.append(out / "wall_clock.md")

    noisy = [d for d in run_dirs if noise_setting(load_run_config(d))[0] is not None]
    bandit_runs = [d for d in run_dirs if report["runs"][str(d)]["arm_utilization"]]
    if len(run_dirs) > 1 and noisy:
        name = noised_source(noisy)
        by_balancer: dict[str, list[Path]] = defaultdict(list)
        for d in bandit_runs:
            by_balancer[str(_select(load_run_config(d), "balancer.name", "?"))].append(d)
        series = {b: noise_robustness(ds) for b, ds in by_balancer.items() if set(ds) & set(noisy)}
        report["noise_robustness"] = {"source": name, "points": series}
        if series:  # empty when every noised run is an ensemble run (no arm to count)
            written.append(plot_noise_robustness(series, name, out / "noise_robustness.png"))

    (out / "analysis.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    written.append(out / "analysis.json")
    return written


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m laser.analysis", description=__doc__.splitlines()[0]
    )
    ap.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for cross-run outputs (wall_clock.md, noise_robustness.png, "
        "analysis.json); default: RUN_DIR/plots for one run, <common parent>/analysis else",
    )
    ap.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="RM agreement on 2 sampled responses for N eval prompts per run (0: skip)",
    )
    args = ap.parse_args(argv)
    for path in analyse(args.run_dirs, args.out, args.pairs):
        print(path)
    print((Path(args.out or _default_out(args.run_dirs)) / "wall_clock.md").read_text())


if __name__ == "__main__":
    main()
