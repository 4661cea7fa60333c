"""bench.peers (python -m bench.bench_peers) without running a model: helpers, the report,
and the no-TRL path."""

from __future__ import annotations

import argparse
import json
import sys

import pytest

from bench.peers import common, dpo, driver


def test_ratio_and_verdict():
    assert common.ratio(3.0, 6.0) == pytest.approx(0.5)
    assert common.ratio(None, 6.0) is None
    assert common.ratio(3.0, None) is None
    assert common.ratio_verdict(0.5, 0.6) == "PASS ratio 0.50 (target ≤ 0.6)"
    assert common.ratio_verdict(0.6, 0.6).startswith("PASS")  # the target itself passes
    assert common.ratio_verdict(0.71, 0.7) == "FAIL ratio 0.71 (target ≤ 0.7)"
    assert common.ratio_verdict(None, 0.7).startswith("SKIP")


def test_trl_version_none_when_not_importable(monkeypatch):
    monkeypatch.setitem(sys.modules, "trl", None)  # makes `import trl` raise ImportError
    assert common.trl_version() is None


def test_preference_ids_split_like_trl(tiny_lm):
    _, tok = tiny_lm
    p, c, r = dpo.preference_ids(tok, "Question: 2+2?\nAnswer:", " 4", " five")
    assert p == tok("Question: 2+2?\nAnswer:")["input_ids"]
    assert c[-1] == r[-1] == tok.eos_token_id  # EOS appended as TRL does
    assert tok.decode(c[:-1]) == " 4" and tok.decode(r[:-1]) == " five"


def test_interleaved_without_trainer_runs_every_step_each_round():
    calls = []
    times = common.interleaved(3, {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")})
    assert calls == ["a", "b"] * 3
    assert set(times) == {"a", "b"} and all(len(v) == 3 for v in times.values())


def _fake_measure(args, trl):
    assert trl is False
    remax = {
        "ours_s": 4.0,
        "plain_s": 5.0,
        "ours_beside_plain_s": 4.1,
        "trl_s": None,
        "peak_rss_gb": {"ours_and_trl": 1.0, "then_ours_and_plain": 1.0},
        "ours_parts_s": {"generate": 3.0},
        "samples_s": {"ours": [9.0, 4.0], "plain": [9.0, 5.0]},
        "trl_config": None,
    }
    dpo = {
        "ours_train_s": 2.0,
        "ours_step_minus_generation_s": 2.5,
        "ours_call_s": 2.6,
        "trl_s": None,
        "ours_parts_s": {"train": 2.0},
        "pairs": 8,
        "peak_rss_gb": 1.0,
        "completion_tokens": [33] * 16,
        "samples_s": {"ours": [3.0, 2.6]},
        "trl_config": None,
    }
    return {"remax": remax, "dpo": dpo}


def test_main_without_trl_reports_and_writes_null(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "trl", None)
    monkeypatch.setattr(driver, "measure", _fake_measure)
    monkeypatch.setattr(driver, "RESULTS", tmp_path)
    driver.main(["--steps", "1", "--prompts", "2", "--new-tokens", "4", "--model", "tiny-gpt2"])
    out = capsys.readouterr().out
    assert common.TRL_MISSING in out
    assert f"trl=={common.TRL_PIN}" in out
    assert "ReMax vs TRL RLOO: SKIP" in out and "DPO vs TRL DPO: SKIP" in out
    res = json.loads((tmp_path / "peers.json").read_text())
    assert res["trl"] is None and res["versions"]["trl"] is None
    assert res["seconds_per_step"]["remax_ours"] == 4.0
    assert res["seconds_per_step"]["remax_plain"] == 5.0
    assert res["ratios"] == {"remax_vs_rloo": None, "dpo_vs_trl_dpo": None}
    from common.models.precision import resolve_precision

    assert res["settings"]["precision"] == resolve_precision("auto")  # resolved, not "auto"


@pytest.mark.parametrize("precision, bf16", [("bf16", True), ("fp32", False)])
def test_trl_runs_in_the_precision_ours_runs_in(precision, bf16):
    kwargs = common.trl_common("/tmp/x", 2, False, precision)
    assert kwargs["bf16"] is bf16 and kwargs["use_cpu"] is True


def test_report_computes_ratios_when_trl_ran(monkeypatch):
    measured = _fake_measure(None, False)
    measured["remax"]["trl_s"], measured["dpo"]["trl_s"] = 8.0, 2.5
    args = argparse.Namespace(
        model="default",
        prompts=8,
        new_tokens=32,
        steps=3,
        trl_gradient_checkpointing=False,
        threads=None,
        precision="bf16",
    )
    res = driver.report(measured, "1.16.0", args, 1.0)
    assert res["ratios"]["remax_vs_rloo"] == pytest.approx(0.5)
    assert res["verdicts"]["remax_vs_rloo"].startswith("PASS")
    assert res["ratios"]["dpo_vs_trl_dpo"] == pytest.approx(0.8)
    assert res["verdicts"]["dpo_vs_trl_dpo"].startswith("FAIL")
    assert res["trl"]["version"] == "1.16.0"
    assert res["settings"]["precision"] == "bf16"


def test_grpo_options_are_checked():
    with pytest.raises(SystemExit):
        driver.main(["--grpo-only", "--grpo-n", "1"])
    assert common.TARGETS["grpo_vs_trl_grpo"] == 1.0 and "grpo_vs_trl_grpo" in common.LABELS
