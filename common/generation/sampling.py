"""Next-token choice of the decode loop: the distribution transformers' ``generate`` samples
from (temperature, then top-p as ``TopPLogitsWarper``), one draw per sampled row by inverting
the row's CDF (:func:`draw`); greedy rows take the argmax, token for token as ``generate``.

Shapes: R = rows decoded together, V = vocabulary size.
"""

from __future__ import annotations

import numpy as np
import torch


def _top_p_drop_by_sort(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """(R, V) bool: tokens outside the nucleus, computed as ``TopPLogitsWarper`` does."""
    ordered, order = torch.sort(logits, descending=False)
    cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
    drop = cumulative <= (1 - top_p)
    drop[:, -1:] = False  # keep the most likely token
    return drop.scatter(1, order, drop)


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """(R, V) logits with the tokens outside the nucleus set to -inf (transformers'
    ``TopPLogitsWarper``: sort ascending, drop the prefix whose cumulative probability is
    <= 1 - top_p, keep at least the most likely token), so a row samples exactly as
    ``generate(do_sample=True, top_p=...)`` would.

    Why not simply ``torch.sort``: on CPU it takes ~8 ms for one 49k-vocabulary row (values
    and indices), more than a whole decode step of a 135M model. The dropped set is a prefix
    of the ascending order, so it is fixed by one value: the sorted *values* (NumPy's
    vectorized sort, ~0.1 ms a row) give the same cumulative probabilities bit for bit, and
    every token at or below the last dropped value is dropped. Only where that value is tied
    with the first kept one does the choice between equal logits depend on the order
    ``torch.sort`` put them in; such rows take ``torch.sort`` itself.
    """
    if top_p >= 1.0:
        return logits
    if logits.device.type != "cpu" or logits.dtype not in (torch.float32, torch.float64):
        return logits.masked_fill(_top_p_drop_by_sort(logits, top_p), float("-inf"))
    ordered = torch.from_numpy(np.sort(logits.detach().numpy(), axis=-1))
    cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
    drop = cumulative <= (1 - top_p)
    drop[:, -1:] = False
    n_drop = drop.sum(dim=1, keepdim=True)  # (R, 1): length of the dropped prefix
    last_dropped = ordered.gather(1, (n_drop - 1).clamp(min=0))
    first_kept = ordered.gather(1, n_drop)
    mask = (logits <= last_dropped) & (n_drop > 0)
    tied = ((last_dropped == first_kept) & (n_drop > 0)).squeeze(1)
    if bool(tied.any()):
        mask[tied] = _top_p_drop_by_sort(logits[tied], top_p)
    return logits.masked_fill(mask, float("-inf"))


def draw(probs: torch.Tensor) -> torch.Tensor:
    """(R,) one index per row of (R, V) non-negative weights, index i with probability
    ``probs[r, i] / probs[r].sum()``: the row's cumulative sum (float64, so a 1e-9 token keeps
    its share) searched for one uniform draw of the global RNG scaled to the row's total.

    Why not ``torch.multinomial`` (what ``generate`` calls): on CPU it draws one exponential
    per vocabulary entry (the exponential-race trick), ~0.7 ms for a 49k row, which at decode
    batch 8 was a fifth of a token's time; this reads the row twice and draws one number. The
    distribution is the same, the random numbers are not: sampled tokens equal ``generate``'s
    for the same logits only in law (the tests swap in ``torch.multinomial`` to compare
    token for token). A zero-weight token (outside the nucleus) is never drawn.
    """
    cdf = probs.double().cumsum(dim=-1)
    total = cdf[:, -1:]
    target = torch.rand(total.shape, dtype=torch.float64, device=probs.device) * total
    index = torch.searchsorted(cdf, target, right=True)  # first entry with cdf > target
    past_end = index >= probs.shape[-1]  # target rounded up to the total: rare
    if bool(past_end.any()):
        last_positive = probs.shape[-1] - 1 - (probs.flip(-1) > 0).int().argmax(-1, keepdim=True)
        index = torch.where(past_end, last_positive, index)
    return index.squeeze(1)


def next_tokens(
    logits: torch.Tensor, sampled: int, temperature: float, top_p: float
) -> torch.Tensor:
    """(R,) next tokens from (R, V) fp32 logits: the first ``sampled`` rows draw from the
    tempered nucleus (:func:`draw`), the others take the argmax."""
    greedy = logits[sampled:].argmax(dim=-1)
    if sampled == 0:
        return greedy
    scores = top_p_filter(logits[:sampled] / temperature, top_p)
    drawn = draw(scores.softmax(dim=-1))
    return torch.cat([drawn, greedy])
