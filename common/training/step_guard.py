"""A non-finite loss stops every rank at once, before the backward.

DeepSpeed's backward and step are collectives: a rank that raised on its NaN loss alone left
the others waiting in the gradient all-reduce until the launcher's timeout. So each rank
shares whether its loss is finite (one all-gather of a short string) before anyone calls
backward, and every rank raises the same :class:`NonFiniteLossError`, naming the step and
the first rank whose loss was not finite. The last checkpoint is then intact.
"""

from __future__ import annotations

import math

import torch

from common.rundir.distributed import all_gather_object

#: What each rank reports: a loss to train on, no loss this step (LASeR without a pair), or
#: a NaN / inf loss.
OK, NO_LOSS, NON_FINITE = "ok", "none", "non_finite"


class NonFiniteLossError(FloatingPointError):
    """A rank's loss was NaN or infinite; raised on every rank before the backward.

    Attributes: ``step``, ``rank`` (the first rank whose loss was not finite), ``value``
    (that loss where this rank is the one, else nan).
    """

    def __init__(self, step: int, rank: int, value: float, detail: str = "") -> None:
        self.step, self.rank, self.value = step, rank, value
        where = f" on rank {rank}"
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"step {step}: loss is {value}{where}{extra}; stopping every rank before the "
            "optimizer step, the last checkpoint is intact"
        )


def loss_status(loss: torch.Tensor | None) -> str:
    """This rank's report: :data:`OK`, :data:`NO_LOSS` or :data:`NON_FINITE`."""
    if loss is None:
        return NO_LOSS
    return OK if bool(torch.isfinite(loss.detach()).all()) else NON_FINITE


def agree_on_loss(loss: torch.Tensor | None, step: int, detail: str = "") -> list[str]:
    """Every rank's :func:`loss_status`, in rank order; a collective, so call it on every
    rank at the same point of the step. Raises :class:`NonFiniteLossError` on every rank
    when any rank's loss is not finite."""
    everyone = all_gather_object(loss_status(loss))
    if NON_FINITE in everyone:
        first = everyone.index(NON_FINITE)
        mine = loss_status(loss) == NON_FINITE
        value = float(loss.detach().float().sum().item()) if mine and loss is not None else math.nan
        # all_gather_object lists the ranks in order: the index is the rank
        raise NonFiniteLossError(step, first, value, detail if mine else "")
    return everyone
