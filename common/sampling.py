"""Next-token choice of the decode loop, token for token what transformers' ``generate``
chooses: temperature, then top-p (``TopPLogitsWarper``), then one ``torch.multinomial`` draw
per sampled row; greedy rows take the argmax.

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


def next_tokens(
    logits: torch.Tensor, sampled: int, temperature: float, top_p: float
) -> torch.Tensor:
    """(R,) next tokens from (R, V) fp32 logits: the first ``sampled`` rows draw from the
    tempered nucleus (one ``torch.multinomial`` over them, as ``generate`` draws), the others
    take the argmax."""
    greedy = logits[sampled:].argmax(dim=-1)
    if sampled == 0:
        return greedy
    scores = top_p_filter(logits[:sampled] / temperature, top_p)
    drawn = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)
    return torch.cat([drawn, greedy])
