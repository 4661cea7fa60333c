import pytest
import torch

from common.generation.rollout import (
    Rollout,
    generate,
    generate_sampled_and_greedy,
    response_mask_until_eos,
    rollout_logprobs,
    sequence_logprobs,
    top_p_filter,
)


def test_mask_keeps_first_eos_and_drops_the_rest():
    eos = 9
    ids = torch.tensor([[1, 2, 9, 4, 9], [9, 1, 1, 1, 1], [1, 2, 3, 4, 5]])
    # row 0: tokens up to and including the first EOS (positions 0..2)
    # row 1: EOS first -> only position 0
    # row 2: no EOS -> everything
    expected = torch.tensor([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]])
    assert torch.equal(response_mask_until_eos(ids, [eos]), expected)


def test_mask_with_several_eos_ids():
    ids = torch.tensor([[1, 7, 3, 8]])
    assert torch.equal(response_mask_until_eos(ids, [8, 7]), torch.tensor([[1, 1, 0, 0]]))


def test_generate_shapes_and_left_padding(tiny_lm):
    model, tok = tiny_lm
    torch.manual_seed(0)
    r = generate(
        model, tok, ["a", "a much longer prompt here"], max_new_tokens=5, num_return_sequences=2
    )
    assert r.prompt_ids.shape[0] == 4 and r.response_ids.shape == (4, 5)
    assert r.response_mask.shape == (4, 5) and len(r.texts) == 4
    # left padding: the short prompt's pad tokens sit on the left
    assert r.prompt_mask[0, 0] == 0 and r.prompt_mask[0, -1] == 1
    # the two samples of one prompt are adjacent and share the prompt
    assert torch.equal(r.prompt_ids[0], r.prompt_ids[1])


def test_greedy_is_deterministic(tiny_lm):
    model, tok = tiny_lm
    a = generate(model, tok, ["hello there"], 6, do_sample=False)
    b = generate(model, tok, ["hello there"], 6, do_sample=False)
    assert torch.equal(a.response_ids, b.response_ids)


def test_batched_logprobs_match_unpadded_single_rows(tiny_lm):
    """Left padding and position ids must not change a row's response log-probs."""
    model, tok = tiny_lm
    torch.manual_seed(1)
    r = generate(model, tok, ["x", "several words of prompt"], max_new_tokens=4)
    batched = rollout_logprobs(model, r)
    for i in range(2):
        real = r.prompt_mask[i].bool()
        ids = torch.cat([r.prompt_ids[i][real], r.response_ids[i]]).unsqueeze(0)
        single = sequence_logprobs(model, ids, torch.ones_like(ids), 4)
        m = r.response_mask[i].bool()
        torch.testing.assert_close(batched[i][m], single[0][m], atol=1e-4, rtol=1e-4)


def test_logprobs_equal_the_full_logits_computation(tiny_lm):
    """The LM head runs only on the last T + 1 positions; the result must be what the full
    logits give: log_softmax(logits[:, P-1 : P+T-1]) gathered at the response tokens."""
    model, _ = tiny_lm
    torch.manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (2, 9))
    mask = torch.ones_like(ids)
    with torch.no_grad():
        full = model(input_ids=ids, attention_mask=mask).logits.float()
        expected = torch.log_softmax(full[:, 5:8], dim=-1).gather(2, ids[:, 6:].unsqueeze(-1))
        got = sequence_logprobs(model, ids, mask, 3)
    torch.testing.assert_close(got, expected.squeeze(-1), atol=1e-5, rtol=1e-5)


def _grads(model, logps: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
    params = [p for p in model.parameters() if p.requires_grad]
    return list(torch.autograd.grad((logps * mask).sum(), params))


def test_shared_prompt_logprobs_and_grads_equal_the_concatenated_forward(tiny_lm):
    """Rows sharing a prompt run it once through the KV cache; values and gradients must be
    those of one forward over prompt + response per row (left-padded prompts of different
    lengths, responses right-padded after EOS)."""
    model, tok = tiny_lm
    model.eval()  # no dropout: both paths must see the same network
    torch.manual_seed(0)
    r = generate(
        model, tok, ["a", "a much longer prompt with words", "mid one"], 6, num_return_sequences=3
    )
    r.response_mask[1, 3:] = 0  # a row that ended early
    assert torch.unique(r.prompt_ids, dim=0).shape[0] == 3  # 9 rows, 3 prompts: shared path
    full = sequence_logprobs(model, r.input_ids, r.attention_mask, r.response_ids.shape[1])
    shared = rollout_logprobs(model, r)
    m = r.response_mask.bool()
    torch.testing.assert_close(shared[m], full[m], atol=1e-5, rtol=1e-5)
    pairs = zip(
        _grads(model, shared, r.response_mask), _grads(model, full, r.response_mask), strict=True
    )
    for a, b in pairs:
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_shared_prompt_with_one_token_responses(tiny_lm):
    model, _ = tiny_lm
    model.eval()
    ids = torch.tensor([[5, 6, 7], [5, 6, 7]])
    responses = torch.tensor([[8], [9]])
    r = Rollout(ids, torch.ones_like(ids), responses, torch.ones_like(responses), ["", ""])
    with torch.no_grad():
        full = sequence_logprobs(model, r.input_ids, r.attention_mask, 1)
        torch.testing.assert_close(rollout_logprobs(model, r), full, atol=1e-5, rtol=1e-5)


def test_gradient_checkpointing_takes_the_concatenated_forward(tiny_lm, monkeypatch):
    """transformers refuses a KV cache while checkpointing in training mode, so the shared
    path must not be taken then."""
    import common.generation.logprobs as rollout_mod  # where rollout_logprobs looks its helpers up

    model, _ = tiny_lm
    ids = torch.tensor([[5, 6, 7], [5, 6, 7]])
    responses = torch.tensor([[8, 3], [9, 4]])
    r = Rollout(ids, torch.ones_like(ids), responses, torch.ones_like(responses), ["", ""])
    calls = []
    monkeypatch.setattr(rollout_mod, "shared_prompt_logprobs", lambda *a: calls.append(a))
    monkeypatch.setattr(rollout_mod, "_gradient_checkpointing", lambda m: True)
    with torch.no_grad():
        rollout_logprobs(model, r)
    assert calls == []
    monkeypatch.setattr(rollout_mod, "_gradient_checkpointing", lambda m: False)
    rollout_logprobs(model, r)
    assert len(calls) == 1


PROMPTS = ["Hello there, how are", "A", "The shop sells shoes and", "x y z"]


@pytest.mark.parametrize("temperature, top_p", [(1.0, 1.0), (0.8, 0.8), (0.7, 0.3)])
def test_one_prefill_gives_the_separate_sampled_and_greedy_rollouts(tiny_lm, temperature, top_p):
    """ReMax's shared prefill: same tokens, masks and texts as two separate generate calls
    (the sampled rows draw the same random numbers as generate does)."""
    model, tok = tiny_lm
    torch.manual_seed(3)
    sampled = generate(model, tok, PROMPTS, 12, True, temperature, top_p)
    greedy = generate(model, tok, PROMPTS, 12, do_sample=False)
    torch.manual_seed(3)
    s2, g2 = generate_sampled_and_greedy(model, tok, PROMPTS, 12, temperature, top_p)
    for a, b in ((sampled, s2), (greedy, g2)):
        assert torch.equal(a.response_ids, b.response_ids)
        assert torch.equal(a.response_mask, b.response_mask)
        assert torch.equal(a.prompt_ids, b.prompt_ids) and a.texts == b.texts
    assert not torch.equal(s2.response_ids, g2.response_ids)  # it did sample


def test_shared_prefill_halves_stop_where_generate_stops(tiny_lm):
    """A half whose rows all end early is cut to its own longest response, as generate
    stops: every greedy row's first token is made an EOS, so the greedy half ends at once."""
    model, tok = tiny_lm
    original = model.generation_config.eos_token_id
    greedy_first = generate(model, tok, PROMPTS, 6, do_sample=False).response_ids[:, 0]
    model.generation_config.eos_token_id = [original, *set(greedy_first.tolist())]
    try:
        s, g = generate_sampled_and_greedy(model, tok, PROMPTS, 6)
    finally:
        model.generation_config.eos_token_id = original
    assert g.response_ids.shape == (4, 1) and g.response_mask.sum() == 4
    assert s.response_ids.shape[1] == int(s.response_mask.sum(dim=1).max())


def test_shared_prefill_honours_min_new_tokens_like_generate(tiny_lm):
    model, tok = tiny_lm
    original = model.generation_config.eos_token_id
    greedy_first = generate(model, tok, PROMPTS, 6, do_sample=False).response_ids[:, 0]
    model.generation_config.eos_token_id = [original, *set(greedy_first.tolist())]
    model.generation_config.min_new_tokens = 3
    try:
        want = generate(model, tok, PROMPTS, 6, do_sample=False)
        _, got = generate_sampled_and_greedy(model, tok, PROMPTS, 6)
    finally:
        model.generation_config.eos_token_id = original
        model.generation_config.min_new_tokens = None
    assert got.response_mask.sum(dim=1).min() >= 3
    assert torch.equal(got.response_ids, want.response_ids)


def test_processors_the_loop_lacks_fall_back_to_generate(tiny_lm, monkeypatch):
    import common.generation.rollout as rollout

    model, tok = tiny_lm
    model.generation_config.repetition_penalty = 1.3
    monkeypatch.setattr(rollout, "decode_from_shared_prefill", None)  # must not be reached
    try:
        torch.manual_seed(1)
        s, g = generate_sampled_and_greedy(model, tok, PROMPTS, 5, 0.8, 0.8)
        torch.manual_seed(1)
        want = generate(model, tok, PROMPTS, 5, True, 0.8, 0.8)
        want_greedy = generate(model, tok, PROMPTS, 5, False)
    finally:
        model.generation_config.repetition_penalty = None
    assert torch.equal(s.response_ids, want.response_ids)
    assert torch.equal(g.response_ids, want_greedy.response_ids)


def test_top_p_filter_matches_transformers():
    from transformers.generation.logits_process import TopPLogitsWarper

    torch.manual_seed(0)
    logits = torch.randn(5, 50) * 3
    for p in (0.1, 0.5, 0.8, 0.95):
        want = TopPLogitsWarper(top_p=p)(None, logits.clone())
        assert torch.equal(top_p_filter(logits, p), want), p
    assert torch.equal(top_p_filter(logits, 1.0), logits)


def _hf_tokens(model, tok, prompts, n_new, n=1, **sampling):
    """New tokens of transformers' own generate (the reference the loop must reproduce)."""
    enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    if sampling.get("do_sample"):
        sampling.setdefault("top_k", 0)
    else:
        sampling.update(temperature=None, top_p=None, top_k=None)
    out = model.generate(
        **enc,
        max_new_tokens=n_new,
        num_return_sequences=n,
        pad_token_id=tok.pad_token_id,
        **sampling,
    )
    return out[:, enc["input_ids"].shape[1] :]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("temperature, top_p, n", [(1.0, 1.0, 1), (0.8, 0.8, 2), (0.7, 0.3, 3)])
def test_generate_gives_transformers_tokens(
    tiny_lm, multinomial_draws, dtype, temperature, top_p, n
):
    """common.generation.rollout.generate decodes with its own loop (one prefill per prompt,
    prepacked weights, sort-free top-p): same tokens as model.generate under the same seed,
    sampled with n rows per prompt, and greedy."""
    import copy

    from common.models.precision import cast_parameters

    model, tok = tiny_lm
    model = cast_parameters(copy.deepcopy(model), dtype)  # the fixture is shared
    torch.manual_seed(5)
    want = _hf_tokens(
        model, tok, PROMPTS, 10, n, do_sample=True, temperature=temperature, top_p=top_p
    )
    torch.manual_seed(5)
    got = generate(model, tok, PROMPTS, 10, True, temperature, top_p, num_return_sequences=n)
    mask = response_mask_until_eos(want, [tok.eos_token_id])
    assert torch.equal(got.response_ids, want.masked_fill(mask == 0, tok.pad_token_id))
    greedy = generate(model, tok, PROMPTS, 10, do_sample=False)
    assert torch.equal(greedy.response_ids, _hf_tokens(model, tok, PROMPTS, 10))
