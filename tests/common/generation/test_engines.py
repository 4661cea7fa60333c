"""Rollout engines without vLLM: choosing one, the loop engine, rollouts rebuilt from token
ids, the policy's weights as a checkpoint (LoRA folded), the optimizer step that marks an
engine stale, and the config checks."""

import pytest
import torch

from common.generation import build_engine
from common.generation.build_engine import build_rollout_engine
from common.generation.engines import (
    LoopEngine,
    prompt_rows,
    resolve_engine_name,
    rollout_from_token_ids,
)
from common.generation.rollout import _eos_ids, generate, generate_sampled_and_greedy
from common.generation.vllm_engine import policy_state_dict
from experiments.compose import compose_config
from experiments.validate import ConfigError, validate_config

PROMPTS = ["Hello there, how are", "The capital of France is", "1 2 3"]


@pytest.mark.parametrize(
    "requested, device, available, want",
    [
        ("auto", "cpu", True, "loop"),  # CPU: the per-step sync outweighs the faster decode
        ("auto", "cuda", True, "vllm"),
        ("auto", "cuda", False, "loop"),
        ("loop", "cuda", True, "loop"),
        ("vllm", "cpu", True, "vllm"),
    ],
)
def test_auto_picks_the_engine_measured_faster_for_the_device(requested, device, available, want):
    assert resolve_engine_name(requested, device, available) == want


def test_an_unknown_engine_is_named():
    with pytest.raises(ValueError, match=r"rollout.engine='hf'; allowed values: auto, loop, vllm"):
        resolve_engine_name("hf", "cpu", False)


def test_vllm_without_an_installation_says_how_to_get_one(tiny_lm, monkeypatch):
    model, tok = tiny_lm
    monkeypatch.setattr(build_engine, "vllm_python", lambda setting: None)
    with pytest.raises(RuntimeError, match="make install-vllm"):
        build_rollout_engine({"engine": "vllm"}, lambda: model, tok)
    # auto falls back to the loop instead
    assert build_rollout_engine({"engine": "auto"}, lambda: model, tok).name == "loop"


def test_loop_engine_is_the_decode_loop(tiny_lm):
    model, tok = tiny_lm
    engine = build_rollout_engine(None, lambda: model, tok)
    assert isinstance(engine, LoopEngine)
    got = engine.generate(PROMPTS, 6, do_sample=False)
    want = generate(model, tok, PROMPTS, 6, do_sample=False)
    assert torch.equal(got.response_ids, want.response_ids)
    s, g = engine.generate_sampled_and_greedy(PROMPTS, 6, temperature=0.8)
    assert s.response_ids.shape[0] == g.response_ids.shape[0] == len(PROMPTS)


def test_rollout_from_token_ids_rebuilds_the_loops_rollout(tiny_lm):
    """Token lists as an engine returns them (stop token included, nothing after it) give
    the same ids, masks, texts and widths as the loop's own Rollout, for both halves of a
    ReMax rollout (each cut to its own longest row)."""
    model, tok = tiny_lm
    torch.manual_seed(0)
    sampled, greedy = generate_sampled_and_greedy(model, tok, PROMPTS, 10, temperature=1.0)
    eos = _eos_ids(model, tok)
    enc, ids = prompt_rows(tok, PROMPTS, None)
    assert [len(i) for i in ids] == enc["attention_mask"].sum(dim=1).tolist()
    for want in (sampled, greedy):
        rows = [
            r[m.bool()].tolist() for r, m in zip(want.response_ids, want.response_mask, strict=True)
        ]
        got = rollout_from_token_ids(
            enc["input_ids"], enc["attention_mask"], rows, eos, tok, want.seconds
        )
        for field in ("prompt_ids", "prompt_mask", "response_ids", "response_mask"):
            assert torch.equal(getattr(got, field), getattr(want, field)), field
        assert got.texts == want.texts


def test_rollout_from_token_ids_masks_after_the_first_eos():
    class Tok:
        pad_token_id = 0

        def batch_decode(self, ids, skip_special_tokens):
            return [" ".join(map(str, r.tolist())) for r in ids]

    prompt = torch.ones(2, 3, dtype=torch.long)
    r = rollout_from_token_ids(prompt, prompt, [[5, 9, 6], [4]], [9], Tok(), 0.0)
    assert r.response_mask.tolist() == [[1, 1, 0], [1, 0, 0]]
    assert r.response_ids.tolist() == [[5, 9, 0], [4, 0, 0]]


def test_policy_state_dict_folds_lora_under_the_checkpoint_names(tiny_lm):
    from peft import LoraConfig, get_peft_model

    model, _ = tiny_lm
    base_names = set(model.state_dict())
    peft_model = get_peft_model(
        _copy(model), LoraConfig(r=4, lora_alpha=8, target_modules=["c_attn", "c_fc"])
    )
    with torch.no_grad():
        for n, p in peft_model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.1)  # B = 0 at init would make the fold a no-op
        hf_model, weights = policy_state_dict(peft_model)
    # the transformers names, the tied LM head written once (vLLM ties it itself)
    assert set(weights) == base_names - {"lm_head.weight"}
    layer = peft_model.base_model.model.transformer.h[0].attn.c_attn
    delta = layer.get_delta_weight("default")
    want = layer.get_base_layer().weight + delta
    torch.testing.assert_close(weights["transformer.h.0.attn.c_attn.weight"], want)
    # the live policy is untouched (the fold is put back)
    assert not torch.equal(layer.get_base_layer().weight, want)
    # a fold that changes the policy's output: the merged weights equal the adapted model
    ids = torch.tensor([[464, 3290, 318]])
    plain = _copy(model)
    plain.load_state_dict(weights, strict=False)
    plain.tie_weights()
    torch.testing.assert_close(plain(ids).logits, peft_model(ids).logits, rtol=1e-4, atol=1e-5)
    assert hf_model is peft_model.get_base_model()


def _copy(model):
    import copy

    return copy.deepcopy(model)


def test_an_optimizer_step_marks_the_rollout_engine_stale(tmp_path):
    from drbo.trainer import PolicyGradientLoop

    cfg = compose_config(
        "+exp=debug",
        "trainer=grpo",
        "rewards.names=[multilingual_sim,sent_sim]",
        "trainer.eval_before=false",
        "trainer.eval_after=false",
        "trainer.standardize_k=8",
        "trainer.export_final=false",
        "trainer.n_samples=2",
        "trainer.steps=1",
    )
    loop = PolicyGradientLoop(cfg, tmp_path)
    marks = []

    class Spy(LoopEngine):
        def policy_updated(self):
            marks.append(1)

    loop._rollout_engine = Spy(lambda: loop.policy, loop.tokenizer)
    loop.fit()
    assert marks == [1]  # one optimizer step, one mark


@pytest.mark.parametrize(
    "override, match",
    [
        ("rollout.engine=hf", "rollout.engine='hf'; allowed values: auto, loop, vllm"),
        ("rollout.vllm.kvcache_gib=0.5", "rollout.vllm.kvcache_gib=0.5"),
        ("rollout.engine=vllm trainer.temperature=3", "trainer.temperature=3.0 with rollout"),
    ],
)
def test_config_errors_name_the_rollout_key(override, match):
    with pytest.raises(ConfigError, match=match):
        validate_config(compose_config("+exp=debug", *override.split()))


def test_vllm_refuses_zero3_partitions():
    cfg = compose_config("+exp=debug", "rollout.engine=vllm", "engine=zero3")
    with pytest.raises(ConfigError, match="ZeRO-3"):
        validate_config(cfg)


def test_resume_may_move_the_vllm_worker_but_not_change_the_engine():
    from common.rundir.resume import config_drift

    saved = {"rollout": {"engine": "vllm", "vllm": {"python": "a", "kvcache_gib": 1}}}
    moved = {"rollout": {"engine": "vllm", "vllm": {"python": "b", "kvcache_gib": 4}}}
    assert config_drift(saved, moved) == []
    other = {"rollout": {"engine": "loop", "vllm": {"python": "a", "kvcache_gib": 1}}}
    assert [k for k, _, _ in config_drift(saved, other)] == ["rollout.engine"]
