import torch

from common.rollout import generate, response_mask_until_eos, rollout_logprobs, sequence_logprobs


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
