import torch
from transformers.generation.logits_process import TopPLogitsWarper

from common.generation.sampling import _top_p_drop_by_sort, draw, next_tokens, top_p_filter


def test_sort_free_top_p_equals_transformers_on_distinct_logits():
    torch.manual_seed(0)
    logits = torch.randn(6, 5000) * 4
    for p in (0.05, 0.5, 0.8, 0.95):
        want = TopPLogitsWarper(top_p=p)(None, logits.clone())
        assert torch.equal(top_p_filter(logits, p), want), p


def test_ties_at_the_nucleus_edge_follow_torch_sort():
    """bf16 logits repeat values (a 49k vocabulary has ~5 % distinct values): where the last
    dropped and the first kept logit are equal, which of them goes depends on torch.sort's
    order, so those rows must take the sort."""
    torch.manual_seed(1)
    logits = (torch.randn(8, 3000) * 2).bfloat16().float()
    values = logits.sort(dim=1).values
    cumulative = values.softmax(dim=1).cumsum(dim=1)
    tied_rows = 0
    for p in (0.3, 0.6, 0.8, 0.9):
        drop = cumulative <= 1 - p
        n = drop.sum(dim=1)
        tied_rows += int((values.gather(1, (n - 1)[:, None]) == values.gather(1, n[:, None])).sum())
        want = TopPLogitsWarper(top_p=p)(None, logits.clone())
        assert torch.equal(top_p_filter(logits, p), want), p
    assert tied_rows > 0  # the case was exercised


def test_drop_by_sort_keeps_the_most_likely_token():
    logits = torch.tensor([[10.0, 0.0, 0.0, 0.0]])
    drop = _top_p_drop_by_sort(logits, 0.01)
    assert drop.tolist() == [[False, True, True, True]]
    assert top_p_filter(logits, 0.01)[0, 0] == 10.0


def test_next_tokens_samples_the_first_rows_and_takes_argmax_for_the_rest():
    torch.manual_seed(0)
    logits = torch.randn(4, 30)
    logits[2:, 7] = 50.0  # greedy rows: token 7
    torch.manual_seed(2)
    got = next_tokens(logits, sampled=2, temperature=0.9, top_p=0.7)
    torch.manual_seed(2)
    probs = TopPLogitsWarper(0.7)(None, logits[:2] / 0.9).softmax(dim=-1)
    want = draw(probs)
    assert got[:2].tolist() == want.tolist() and got[2:].tolist() == [7, 7]


def test_draw_follows_the_row_probabilities():
    """20,000 draws per row against hand-set probabilities (unnormalized weights too): every
    frequency within 4.5 standard errors, zero-weight entries never drawn."""
    weights = torch.tensor(
        [[0.5, 0.0, 0.3, 0.2, 0.0], [1.0, 1.0, 0.0, 2.0, 4.0]]  # row 2 sums to 8
    ).repeat_interleave(20_000, dim=0)
    torch.manual_seed(0)
    got = draw(weights).view(2, 20_000)
    for row, p in enumerate(([0.5, 0.0, 0.3, 0.2, 0.0], [0.125, 0.125, 0.0, 0.25, 0.5])):
        freq = torch.bincount(got[row], minlength=5).double() / 20_000
        se = (torch.tensor(p) * (1 - torch.tensor(p)) / 20_000).sqrt()
        assert torch.all((freq - torch.tensor(p)).abs() <= 4.5 * se + 1e-12), (row, freq)
        assert all(freq[i] == 0 for i in range(5) if p[i] == 0)


def test_draw_never_lands_past_the_last_token_with_weight(monkeypatch):
    """A uniform that rounds up to the row's total falls on the last positive entry, not on
    the zero-weight tail (forced here with a draw of exactly 1)."""
    real_rand = torch.rand
    monkeypatch.setattr(torch, "rand", lambda *a, **k: real_rand(*a, **k).fill_(1.0))
    weights = torch.tensor([[0.2, 0.8, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    assert draw(weights).tolist() == [1, 3]


def test_next_tokens_with_multinomial_draws_equal_transformers(multinomial_draws):
    """With ``generate``'s ``torch.multinomial`` swapped in, the tempered nucleus is sampled
    with generate's random numbers: token for token."""
    torch.manual_seed(0)
    logits = torch.randn(3, 40)
    torch.manual_seed(4)
    got = next_tokens(logits, sampled=3, temperature=0.8, top_p=0.6)
    torch.manual_seed(4)
    probs = TopPLogitsWarper(0.6)(None, logits / 0.8).softmax(dim=-1)
    assert got.tolist() == torch.multinomial(probs, num_samples=1).squeeze(1).tolist()
