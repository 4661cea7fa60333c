"""The benches' core functions on the tiny random GPT-2 with minimal settings: result
structure and sane values (not timings). The two-process memory bench is slow."""

from __future__ import annotations

import json
import math

import pytest

TINY = "tiny-gpt2"
# Short prompts: the tiny model's cost is its 50k-word LM head over every prompt position.
# String metrics only (no embedding model to load) on the Shopping sample.
FAST = ["dataset.max_prompt_tokens=64", "rewards.names=[mc_accuracy,hit_at_3,ndcg,ner_f1]"]


def _shares_sum_to_one(res: dict) -> None:
    assert all(v >= 0 for v in res["parts_s"].values())
    assert res["step_s"] > 0
    assert math.isclose(sum(res["shares"].values()), 1.0, abs_tol=1e-3)
    assert 0 <= res["outside_model_share"] <= 1


def _verdicts_well_formed(res: dict) -> None:
    assert res["verdicts"]
    for v in res["verdicts"]:
        assert {"name", "value", "target", "pass", "line"} <= set(v)
        assert isinstance(v["pass"], bool)
        assert ("PASS" in v["line"]) != ("FAIL" in v["line"])


def test_drbo_breakdown_writes_parts_and_shares(tmp_path):
    from bench import bench_drbo

    res = bench_drbo.main(
        [
            "--steps",
            "1",
            "--model",
            TINY,
            "--batch-size",
            "2",
            "--exp",
            "debug",
            "--results-dir",
            str(tmp_path),
            *FAST,
        ]
    )
    assert set(res["parts_s"]) == set(bench_drbo.PARTS)
    assert res["steps_measured"] == 1
    assert res["parts_s"]["generate"] > 0 and res["parts_s"]["optimizer"] > 0
    assert res["parts_s"]["backward"] > 0 and res["parts_s"]["logging"] > 0
    _shares_sum_to_one(res)
    _verdicts_well_formed(res)
    assert res["machine"]["torch"]
    assert json.loads((tmp_path / "drbo_step.json").read_text())["step_s"] == res["step_s"]


def test_dpo_breakdown_splits_train_time():
    from bench import bench_dpo

    res = bench_dpo.run(
        steps=1, model=TINY, warmup=1, max_new_tokens=8, exp="laser_debug", overrides=FAST[:1]
    )
    assert set(res["parts_s"]) == set(bench_dpo.PARTS)
    assert res["parts_s"]["generate"] > 0
    if res["steps_with_update"]:
        assert res["parts_s"]["backward"] > 0 and res["parts_s"]["optimizer"] > 0
    _shares_sum_to_one(res)
    _verdicts_well_formed(res)


def test_closeness_ratios_are_positive():
    from bench import bench_closeness

    res = bench_closeness.run(
        steps=1, warmup=1, model=TINY, batch_size=2, max_new_tokens=4, gen_reps=1, overrides=FAST
    )
    assert res["step_s"] > 0 and res["bare_sum_s"] > 0 and res["step_ratio"] > 0
    assert all(v > 0 for v in res["bare_parts_s"].values())
    assert all(v > 0 for v in res["part_ratios"].values())
    g = res["rollout"]
    assert g["tokens_per_call"] == 2 * 4
    assert g["ratio"] > 0 and g["sample"]["rollout_tokens_per_s"] > 0
    assert res["logits_to_keep"]["ratio"] > 0
    _verdicts_well_formed(res)
    assert len(res["verdicts"]) == 2


def test_scaling_table_and_growth_factors():
    from bench import bench_scaling

    res = bench_scaling.run(
        TINY,
        batch_sizes=(1, 2),
        base_tokens=4,
        lengths=(2, 4),
        base_batch=1,
        steps=1,
        warmup=0,
        overrides=FAST,
    )
    assert [c["batch_size"] for c in res["by_batch"]] == [1, 2]
    assert [c["new_tokens"] for c in res["by_length"]] == [2, 4]
    assert all(c["step_s"] > 0 for c in res["by_batch"] + res["by_length"])
    assert len(res["batch_growth"]) == 1 and len(res["length_growth"]) == 1
    assert all(g > 0 for g in res["batch_growth"] + res["length_growth"])
    _verdicts_well_formed(res)


def test_memory_worker_in_one_process(tmp_path):
    from bench import bench_memory

    r = bench_memory.worker(
        0, TINY, 1, str(tmp_path / "run"), str(tmp_path / "out"), overrides=FAST
    )
    assert r["world_size"] == 1 and r["stage"] == 0 and r["params"] > 0
    assert 0 < r["base_mb"] <= r["setup_peak_mb"]
    assert r["train_peak_mb"] > 0 and r["peak_mb"] >= r["setup_peak_mb"]
    assert json.loads((tmp_path / "out" / "rank0.json").read_text()) == r


def test_textbook_model_states_shrink_with_the_stage():
    from bench.bench_memory import model_state_mb

    n = 2**20  # 4 MB of fp32 params
    assert model_state_mb(n, 0, 2) == pytest.approx(4 * 5)  # params, grads, 2 moments, ref
    assert model_state_mb(n, 2, 2) == pytest.approx(4 + 2 + 4 + 4)
    assert model_state_mb(n, 3, 2) == pytest.approx(2 + 2 + 4 + 4)


@pytest.mark.slow
def test_memory_bench_under_torchrun():
    from bench import bench_memory

    res = bench_memory.run(TINY, stages=(0, 2), steps=1, nproc=2)
    assert set(res["stages"]) == {"0", "2"}
    for st in res["stages"].values():
        assert [r["rank"] for r in st["ranks"]] == [0, 1]
        assert all(r["world_size"] == 2 and r["train_peak_mb"] > 0 for r in st["ranks"])
    assert len(res["verdicts"]) == 1


def test_summary_collects_every_result_file(tmp_path):
    from bench.summary import main

    machine = {"python": "3.11", "torch": "2.13.0+cpu", "torch_threads": 2}
    step = {
        "machine": machine,
        "model": "tiny",
        "exp": "debug",
        "steps_measured": 2,
        "step_s": 1.0,
        "parts_s": {"generate": 0.6, "optimizer": 0.4},
        "shares": {"generate": 0.6, "optimizer": 0.4},
        "outside_model_share": 0.0,
        "tokens_per_s": 10.0,
        "verdicts": [
            {"name": "drbo: outside", "value": 0.0, "target": "< 0.1", "pass": True, "line": "x"}
        ],
    }
    (tmp_path / "drbo_step.json").write_text(json.dumps(step))
    # a layout the summary does not know (the peer comparison's): figures listed generically,
    # its verdicts a dict of free-text lines
    (tmp_path / "peers.json").write_text(
        json.dumps(
            {
                "ours_step_s": 1.5,
                "trl": {"step_s": 2.0, "version": "1.0"},
                "verdicts": {
                    "remax_vs_rloo": "PASS ratio 0.39 (target <= 0.6)",
                    "dpo_vs_trl_dpo": "SKIP (TRL not installed; target <= 0.7)",
                },
            }
        )
    )
    # an old layout with no verdicts field: verdicts derived from its figures
    (tmp_path / "laser.json").write_text(
        json.dumps(
            {
                "bandit": {
                    "linucb_share_of_tiny_step": 0.5,
                    "linucb_dim": 576,
                    "linucb_decide_update_s": 0.001,
                    "tiny_step_s": 0.5,
                },
                "rm_scoring": {"uniform_bandit_ratio": 0.26, "one_over_k": 0.25},
            }
        )
    )
    (tmp_path / "broken.json").write_text("{not json")
    text = main(["--results-dir", str(tmp_path), "--quiet"])
    assert (tmp_path / "SUMMARY.md").read_text() == text
    assert "Verdicts (3/4 pass, 1 skipped)" in text
    assert "| drbo: outside | 0 | < 0.1 | PASS |" in text
    assert "| peers: remax_vs_rloo | PASS ratio 0.39 (target <= 0.6) |  | PASS |" in text
    assert "| peers: dpo_vs_trl_dpo | SKIP (TRL not installed; target <= 0.7) |  | SKIP |" in text
    assert "| laser: LinUCB share of a tiny LASeR step | 0.5 | < 0.01 | FAIL |" in text
    assert "| trl.step_s | 2 |" in text and "| generate | 0.6 | 60.0% |" in text
    assert "unreadable" in text and "torch 2.13.0+cpu" in text


def test_summary_of_an_empty_folder(tmp_path):
    from bench.summary import build_summary

    assert "No result files" in build_summary(tmp_path)


def test_checkpoint_digest_bench_times_save_and_digest(tmp_path):
    from bench import bench_checkpoint_digest

    res = bench_checkpoint_digest.main(
        ["--mb", "4", "--repeats", "1", "--results-dir", str(tmp_path)]
    )
    # no timing order between save and digest: the machine is shared and noisy
    assert res["save_s"] > 0 and res["digest_s"] > 0 and res["blake2b_s"] > 0
    assert res["digest_share_of_save"] == pytest.approx(res["digest_s"] / res["save_s"], rel=0.01)
    assert res["algorithm"] == "sha256"
    _verdicts_well_formed(res)
    assert json.loads((tmp_path / "checkpoint_digest.json").read_text())["mb"] == 4


@pytest.mark.slow  # about 15 s: a GRPO loop on the tiny model, four variants
def test_grpo_step_bench_times_every_variant_on_one_rollout(tmp_path):
    from bench import bench_grpo_step

    res = bench_grpo_step.main(
        [
            "--rounds",
            "1",
            "--warmup",
            "0",
            "--model",
            TINY,
            "--variants",
            "per_row,shared_v0,current,one_group",
            "--clock",
            "cpu",
            "--results-dir",
            str(tmp_path),
            "dataset.max_prompt_tokens=32",
            "dataset.max_new_tokens.instruction_following=6",
            "dataset.max_new_tokens.default=6",
            "trainer.batch_size=2",
            "trainer.n_samples=2",
        ]
    )
    variants = res["variants"]
    assert set(variants) == {"per_row", "shared_v0", "current", "one_group"}
    for v in variants.values():
        assert set(v["parts_s"]) == set(bench_grpo_step.PARTS)
        assert v["parts_s"]["reference"] > 0 and v["parts_s"]["backward"] > 0
        assert math.isclose(sum(v["shares"].values()), 1.0, abs_tol=1e-3)
    # one generation per round, shared by the variants
    assert len({v["parts_s"]["generate"] for v in variants.values()}) == 1
    assert variants["per_row"]["step_ratio_to_per_row"] == 1.0
    _verdicts_well_formed(res)
    written = json.loads((tmp_path / "grpo_step.json").read_text())
    assert written["variants"].keys() == variants.keys() and written["clock"] == "cpu"
