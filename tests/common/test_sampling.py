import torch
from transformers.generation.logits_process import TopPLogitsWarper

from common.sampling import _top_p_drop_by_sort, next_tokens, top_p_filter


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
    want = torch.multinomial(probs, num_samples=1).squeeze(1)
    assert got[:2].tolist() == want.tolist() and got[2:].tolist() == [7, 7]
