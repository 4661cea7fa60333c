"""The speed benches' arithmetic: bytes a decode step reads, eval intervals, loss comparison."""

import json
from pathlib import Path

import pytest

from bench import bench_decode, bench_numerics


def test_bytes_per_step_counts_weights_once_and_the_kv_cache(tiny_lm):
    model, _ = tiny_lm
    got = bench_decode.bytes_per_step(model, batch=4, context=100)
    weights = sum(p.numel() for p in model.parameters()) * 4  # fp32, tied head counted once
    cfg = model.config
    kv = 2 * cfg.n_layer * 4 * 100 * cfg.n_embd * 4  # keys and values, every head
    assert got == {"weights": weights, "kv_cache": kv, "total": weights + kv}


def test_copy_bandwidth_is_a_plausible_rate():
    assert 1e8 < bench_decode.copy_bandwidth(mib=8, reps=2) < 1e13


def test_interval_is_the_binomial_bound():
    lo, hi = bench_numerics.interval(0.5, 100)
    assert (lo, hi) == pytest.approx((0.5 - 0.098, 0.5 + 0.098))
    assert bench_numerics.interval(0.0, 10) == (0.0, 0.0)


def _run(folder, losses, kl1, after):
    folder.mkdir()
    rows = [{"step": i + 1, "loss": x, "kl": kl1 if i == 0 else 0.1} for i, x in enumerate(losses)]
    (folder / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    summary = {"eval": {"before": {}, "after": after}, "wall_s": 10.0 * len(losses)}
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_compare_two_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_numerics, "eval_counts", lambda d: {"a": 50, "b": 50})
    bf16 = _run(tmp_path / "bf16", [1.0, 2.0, 3.0, 2.0], 0.0, {"a": 0.50, "b": 0.10})
    fp32 = _run(tmp_path / "fp32", [1.5, 2.5, 2.5, 1.5], 0.0, {"a": 0.55, "b": 0.90})
    res = bench_numerics.compare(bf16, fp32)
    assert res["loss_mean"] == {"bf16": 2.0, "fp32": 2.0} and res["loss_mean_diff_in_se"] == 0
    assert res["loss_per_step_abs_diff"]["max"] == 0.5
    assert res["eval_after"]["a"]["overlap"] and not res["eval_after"]["b"]["overlap"]
    passed = [v["pass"] for v in bench_numerics.verdicts(res)]
    assert passed == [True, False]  # losses agree, metric b's intervals do not


def test_decode_peft_variant_needs_a_lora_policy():
    with pytest.raises(SystemExit):
        bench_decode.main(["--variants", "peft"])


def test_decode_compile_variant_compiles_on_the_cpu_too():
    """transformers' generate compiles only on accelerators unless its CompileConfig allows
    every device; the compile variant must allow it, or it would time eager decoding."""
    config = bench_decode._cpu_compile_config()
    assert config._compile_all_devices is True and config.dynamic is False


def test_decode_loop_runs_a_lora_policy_through_merged_weights(tiny_lm):
    """Of the bench's two LoRA variants only ``peft`` runs the adapters in the forward;
    ``packed`` decodes through the folded weights (token equality: tests/common/
    test_lora_merge.py)."""
    import copy

    import torch
    from omegaconf import OmegaConf

    from common.training.policy import apply_lora

    model, tok = tiny_lm
    lora = OmegaConf.create({"enabled": True, "r": 4, "alpha": 8, "target_modules": ["c_attn"]})
    peft_model = apply_lora(copy.deepcopy(model), lora).eval()
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.5)
    dec = bench_decode.Decoder(peft_model, tok, ["the shop sells", "a b c"], None)
    outs = {}
    for variant in ("peft", "packed"):
        calls = []
        hook = (
            peft_model.base_model.model.transformer.h[0]
            .attn.c_attn.lora_A["default"]
            .register_forward_hook(lambda *a, calls=calls: calls.append(1))
        )
        dec.run(variant, 4)
        hook.remove()
        outs[variant] = len(calls)
    assert outs["peft"] > 0 and outs["packed"] == 0


def test_main_job_bench_reads_the_run_it_started(tmp_path, monkeypatch):
    """bench_main_job times the child process and reads the run's summary, step timers and
    precision; the verdict is against 240 s."""
    from bench import bench_main_job

    def fake_call(cmd, stdout, stderr):
        out = Path(next(a for a in cmd if a.startswith("paths.output_dir="))[17:])
        run = out / "shopping_mmlu" / "now"
        run.mkdir(parents=True)
        (run / "summary.json").write_text(json.dumps({"wall_s": 100.0}))
        rows = [
            {"step": 1, "time/generate_s": 1.0, "time/fwd_bwd_s": 2.0},
            {"step": 2, "time/generate_s": 2.0, "time/fwd_bwd_s": 2.0},
            {"step": 3, "time/generate_s": 1.0, "time/fwd_bwd_s": 1.0},
            {"eval/after/x": 0.5},
        ]
        (run / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        (run / "run_info.json").write_text(json.dumps({"precision": {"used": "bf16"}}))
        return 0

    monkeypatch.setattr(bench_main_job.subprocess, "call", fake_call)
    res = bench_main_job.main(["--results-dir", str(tmp_path), "trainer.steps=3"])
    (r,) = res["rounds"]
    assert r["steps"] == 3 and r["median_step_s"] == 3.0  # sums 3, 4, 2
    assert r["run_wall_s"] == 100.0 and r["precision"] == "bf16"
    assert res["command"].endswith("trainer.steps=3")
    assert res["verdicts"][0]["pass"] is (res["median_process_wall_s"] < 240)
    assert json.loads((tmp_path / "main_job.json").read_text())["bench"] == "main_job"


def test_main_job_bench_names_a_failed_run(tmp_path, monkeypatch):
    from bench import bench_main_job

    monkeypatch.setattr(bench_main_job.subprocess, "call", lambda *a, **k: 2)
    with pytest.raises(RuntimeError, match="exited 2"):
        bench_main_job.main(["--results-dir", str(tmp_path)])
