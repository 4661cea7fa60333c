"""LASeR analyses on hand-made run directories: arm utilization, RM agreement F1, noise
robustness, the wall-clock table and the CLI. No model is trained here."""

import json

import numpy as np
import pytest
from omegaconf import OmegaConf

from laser.analysis import (
    arm_utilization,
    arm_utilization_by_category,
    collect_pair_scores,
    main,
    noise_robustness,
    preferences,
    rm_agreement,
    wall_clock,
    wall_clock_markdown,
)

PNG = b"\x89PNG\r\n\x1a\n"
NAMES = ("fmt", "short", "long")


def _row(step, arm, categories, **extra):
    row = {"step": step, **{f"weight/{n}": float(n == arm) for n in NAMES}}
    row.update(arm=arm, categories=categories, **extra)
    return row


ROWS = [
    _row(1, "fmt", "math,math"),
    _row(2, "short", "math,code"),
    _row(3, "fmt", "code,code"),
    _row(4, "fmt", "math,code"),
]


def _write_run(folder, rows, config=None, summary=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    if config is not None:
        (folder / ".hydra").mkdir(exist_ok=True)
        (folder / ".hydra" / "config.yaml").write_text(config)
    if summary is not None:
        (folder / "summary.json").write_text(json.dumps(summary))
    return folder


# ---- utilization -------------------------------------------------------------------------------
def test_per_category_utilization_counts_each_prompt():
    # math prompts: step 1 (2 x fmt), step 2 (1 x short), step 4 (1 x fmt) -> fmt 3/4, short 1/4
    # code prompts: step 2 (1 x short), step 3 (2 x fmt), step 4 (1 x fmt) -> fmt 3/4, short 1/4
    by_cat = arm_utilization_by_category([*ROWS, _row(5, "long", "code,code,code,code")])
    # with step 5, code gets 4 more prompts under long: fmt 3/8, short 1/8, long 4/8
    assert by_cat == {
        "code": {"fmt": 3 / 8, "short": 1 / 8, "long": 0.5},
        "math": {"fmt": 0.75, "short": 0.25, "long": 0.0},
    }
    for shares in by_cat.values():
        assert sum(shares.values()) == pytest.approx(1.0)


# ---- RM agreement ------------------------------------------------------------------------------
# 3 RMs x 4 pairs x (first, second). Preferences (+ first better, - second better, 0 tie):
#   RM0: [1, 0] +   [0, 1] -   [2, 1] +   [.5, .5] 0
#   RM1: [1, 0] +   [1, 0] +   [0, 1] -   [1, 0]   +
#   RM2: [0, 0] 0   [0, 1] -   [3, 1] +   [0, 0]   0
SCORES = np.array(
    [
        [[1, 0], [0, 1], [2, 1], [0.5, 0.5]],
        [[1, 0], [1, 0], [0, 1], [1, 0]],
        [[0, 0], [0, 1], [3, 1], [0, 0]],
    ],
    dtype=float,
)


def test_preferences_signs_with_ties_as_zero():
    assert preferences(SCORES).tolist() == [[1, -1, 1, 0], [1, 1, -1, 1], [0, -1, 1, 0]]


def test_rm_agreement_f1_by_hand():
    # F[a, b]: pairs where reference a has a preference; truth y = a says "first", predicted
    # p = b says "first" (b's tie counts as "not first"); F1 = 2TP / (2TP + FP + FN).
    expected = np.array(
        [
            # ref RM0, pairs {0,1,2}, y = [1,0,1]
            #   RM0: TP2 -> 1
            #   RM1 p = [1,1,0]: TP1 (pair 0) FP1 (pair 1) FN1 (pair 2) -> 2/4
            #   RM2 p = [0(tie),0,1]: TP1 (pair 2) FN1 (pair 0, tie) -> 2/3
            [1.0, 0.5, 2 / 3],
            # ref RM1, pairs {0,1,2,3}, y = [1,1,0,1]
            #   RM0 p = [1,0,1,0(tie)]: TP1 (0) FP1 (2) FN2 (1, 3) -> 2/5
            #   RM2 p = [0(tie),0,1,0(tie)]: TP0 FP1 (2) FN3 (0, 1, 3) -> 0
            [0.4, 1.0, 0.0],
            # ref RM2, pairs {1,2}, y = [0,1]
            #   RM0 p = [0,1]: TP1 -> 1
            #   RM1 p = [1,0]: TP0 FP1 (1) FN1 (2) -> 0
            [1.0, 0.0, 1.0],
        ]
    )
    np.testing.assert_allclose(rm_agreement(SCORES), expected)


def test_rm_agreement_is_nan_without_anything_to_score():
    # RM1 ties everywhere: as reference it has no pair (row NaN); as the judged RM it never
    # says "first", so against RM0 (which prefers the second, no positive) F1 is 0/0 too.
    scores = np.array([[[0, 1], [0, 2]], [[1, 1], [np.nan, 3]]], dtype=float)
    f = rm_agreement(scores)
    assert np.isnan(f[1]).all() and np.isnan(f[0, 1]) and np.isnan(f[0, 0])
    with pytest.raises(ValueError, match=r"\(K, M, 2\)"):
        rm_agreement(np.zeros((2, 3)))


def test_collect_pair_scores_uses_every_source_of_the_run_config():
    from common.data.types import Example
    from experiments.compose import compose_config

    cfg = compose_config("+exp=laser_debug")  # fmt, short (3 words), long (12 words)
    examples = [Example("q1", 1, "math_exact"), Example("q2", 2, "math_exact")]
    first = ["The answer is 1", "one two three"]
    second = ["one", " ".join(["w"] * 12)]
    scores = collect_pair_scores(cfg, examples, first, second)
    assert scores.shape == (3, 2, 2)
    np.testing.assert_allclose(scores[0], [[1, 0], [0, 0]])  # fmt: only "The answer is 1"
    np.testing.assert_allclose(scores[1], [[2 / 3, 1 / 3], [1, 0]])  # |w - 3| / 3
    np.testing.assert_allclose(scores[2], [[4 / 12, 1 / 12], [3 / 12, 1]])  # |w - 12| / 12


# ---- noise robustness --------------------------------------------------------------------------
def _noise_config(sigma=None, name="short", balancer="linucb"):
    noise = "" if sigma is None else f"  noise: {{name: {name}, sigma: {sigma}, seed: 0}}\n"
    return f"balancer:\n  name: {balancer}\nrewards:\n  names: [fmt, short, long]\n{noise}"


def test_noise_robustness_reads_sigma_from_each_config(tmp_path):
    def rows(n_short):  # 4 steps, short picked n_short times
        return [_row(s, "short" if s <= n_short else "fmt", "math") for s in range(1, 5)]

    runs = [
        _write_run(tmp_path / "s05", rows(1), _noise_config(0.5)),
        _write_run(tmp_path / "clean", rows(3), _noise_config()),  # no rewards.noise: sigma 0
        _write_run(tmp_path / "s01", rows(2), _noise_config(0.1)),
        _write_run(tmp_path / "s10", rows(0), _noise_config(1.0)),
    ]
    assert noise_robustness(runs) == [(0.0, 0.75), (0.1, 0.5), (0.5, 0.25), (1.0, 0.0)]


def test_noise_robustness_needs_one_noised_source(tmp_path):
    a = _write_run(tmp_path / "a", ROWS, _noise_config())
    with pytest.raises(ValueError, match="rewards.noise.name"):
        noise_robustness([a])
    b = _write_run(tmp_path / "b", ROWS, _noise_config(0.1, name="fmt"))
    c = _write_run(tmp_path / "c", ROWS, _noise_config(0.2, name="long"))
    with pytest.raises(ValueError, match="'fmt', 'long'"):
        noise_robustness([b, c])


# ---- wall clock --------------------------------------------------------------------------------
def _timed(step, context, bandit, generate, reward, train):
    return _row(
        step,
        "fmt",
        "math",
        **{
            "time/context_s": context,
            "time/mixer_s": bandit,
            "time/generate_s": generate,
            "time/reward_s": reward,
            "time/fwd_bwd_s": train - 0.1,
            "time/optimizer_s": 0.1,
        },
    )


def test_wall_clock_table_from_metrics_summary_and_config(tmp_path):
    laser = _write_run(
        tmp_path / "laser",
        [_timed(1, 0.1, 0.01, 1.0, 0.2, 0.5), _timed(2, 0.3, 0.03, 3.0, 0.4, 0.7)],
        _noise_config(balancer="linucb"),
        {"method": "laser", "wall_s": 12.5},
    )
    # best-of-n logs only bandit and generate times, and this run has no config
    bon = _write_run(
        tmp_path / "bon",
        [{"step": 1, "time/mixer_s": 0.02, "time/generate_s": 2.0}],
        summary={"method": "laser_best_of_n", "wall_s": 3.0},
    )
    table = wall_clock([laser, bon])
    first = table[0]
    assert (first["run"], first["method"], first["balancer"], first["steps"]) == (
        "laser",
        "laser",
        "linucb",
        2,
    )
    expected = {"context_s": 0.2, "mixer_s": 0.02, "generate_s": 2.0, "reward_s": 0.3}
    for k, v in {**expected, "fwd_bwd_s": 0.5, "optimizer_s": 0.1, "step_s": 3.12}.items():
        assert first[k] == pytest.approx(v), k
    assert first["wall_s"] == pytest.approx(12.5)
    assert first["mixer_share"] == pytest.approx(0.02 / 3.12)
    second = table[1]
    assert second["balancer"] is None and second["reward_s"] is None
    assert second["step_s"] == pytest.approx(2.02)
    md = wall_clock_markdown(table).splitlines()
    assert md[0].startswith("| run | method | balancer | steps | context s")
    assert (
        md[2]
        == "| laser | laser | linucb | 2 | 0.2 | 0.02 | 2 | 0.3 | 0.5 | 0.1 | 3.12 | 0.64 | 12.5 |"
    )
    assert md[3].startswith("| bon | laser_best_of_n | – | 1 | – | 0.02 | 2 | – | – | – | 2.02 |")


# ---- CLI ---------------------------------------------------------------------------------------
def test_cli_writes_the_plots_and_the_table(tmp_path, capsys):
    runs = []
    for name, sigma, n_short in (("clean", None, 3), ("noisy", 0.5, 1)):
        rows = [
            _timed(s, 0.1, 0.01, 1.0, 0.2, 0.5) | {"arm": "short" if s <= n_short else "fmt"}
            for s in range(1, 5)
        ]
        rows[0]["categories"] = "math,code"
        runs.append(
            _write_run(
                tmp_path / name, rows, _noise_config(sigma), {"method": "laser", "wall_s": 9}
            )
        )
    out = tmp_path / "out"
    main([str(r) for r in runs] + ["--out", str(out)])
    for r in runs:
        assert (r / "plots" / "arm_utilization.png").read_bytes()[:8] == PNG
    assert (out / "noise_robustness.png").read_bytes()[:8] == PNG
    assert "| clean | laser | linucb | 4 |" in (out / "wall_clock.md").read_text()
    report = json.loads((out / "analysis.json").read_text())
    assert report["noise_robustness"] == {
        "source": "short",
        "points": {"linucb": [[0.0, 0.75], [0.5, 0.25]]},
    }
    assert "wall_clock.md" in capsys.readouterr().out


def test_cli_rm_agreement_samples_pairs_from_the_exported_policy(tmp_path):
    """--pairs on a run whose final_model is the untrained tiny GPT-2 (saved, not trained)."""
    from common.models.assets import load_causal_lm
    from experiments.compose import compose_config

    cfg = compose_config("+exp=laser_debug", output_dir=tmp_path)
    run = _write_run(tmp_path / "run", ROWS, OmegaConf.to_yaml(cfg))
    model, tok = load_causal_lm("tiny-gpt2", seed=0)
    model.save_pretrained(run / "final_model")
    tok.save_pretrained(run / "final_model")
    main([str(run), "--pairs", "3"])
    assert (run / "plots" / "rm_agreement.png").read_bytes()[:8] == PNG
    assert (run / "plots" / "arm_utilization.png").read_bytes()[:8] == PNG
    agreement = json.loads((run / "plots" / "analysis.json").read_text())["runs"][str(run)]
    assert agreement["rm_agreement"]["names"] == ["fmt", "short", "long"]
    assert agreement["rm_agreement"]["pairs"] == 3
    assert len(agreement["rm_agreement"]["f1"]) == 3


def test_per_query_arms_count_once_per_prompt():
    """``balancer.granularity=query`` logs one arm per prompt (``arms``, in the order of
    ``categories``): utilization counts prompts, and each prompt's category gets its arm."""
    rows = [
        {
            "step": 1,
            "weight/fmt": 0.5,
            "weight/short": 0.5,
            "weight/long": 0.0,
            "arms": "fmt,short",
            "categories": "math,code",
        },
        {
            "step": 2,
            "weight/fmt": 1.0,
            "weight/short": 0.0,
            "weight/long": 0.0,
            "arms": "fmt,fmt",
            "categories": "math,math",
        },
    ]
    assert arm_utilization(rows) == {"fmt": 0.75, "short": 0.25, "long": 0.0}
    by_category = arm_utilization_by_category(rows)
    assert by_category["math"] == {"fmt": 1.0, "short": 0.0, "long": 0.0}
    assert by_category["code"] == {"fmt": 0.0, "short": 1.0, "long": 0.0}


def test_load_run_config_stays_importable_from_laser_analysis():
    from common.rundir.runs import load_run_config
    from laser.analysis import load_run_config as reexported

    assert reexported is load_run_config
