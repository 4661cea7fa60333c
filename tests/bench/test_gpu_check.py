"""make gpu-check: the no-CUDA path, and its comparison helpers on CPU with a tiny model."""

import torch

from bench import gpu_check

PROMPTS = ["Hello there, how are", "A", "The shop sells shoes and"]


def test_without_cuda_it_says_so_and_exits_0(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    out = tmp_path / "g.json"
    assert gpu_check.main(["--out", str(out)]) == 0
    assert "no CUDA device" in capsys.readouterr().out
    assert not out.exists()


def test_shared_prompt_logprobs_agree_with_per_row_in_both_precisions():
    from common.models.assets import load_causal_lm

    fp32, tok = load_causal_lm("tiny-gpt2", seed=0)
    d32 = gpu_check.shared_vs_per_row(fp32, tok, PROMPTS, "cpu")
    assert d32["tokens"] > 0 and d32["max_abs"] < 1e-4
    bf16, _ = load_causal_lm("tiny-gpt2", seed=0, dtype="bfloat16")
    d16 = gpu_check.shared_vs_per_row(bf16, tok, PROMPTS, "cpu")
    assert d16["max_abs"] <= gpu_check.LOGPROB_MAX_ABS_BF16
    assert d16["mean_abs"] <= gpu_check.LOGPROB_MEAN_ABS_BF16
    assert gpu_check.greedy_agreement(fp32, tok, PROMPTS) == 1.0
