"""DPO, NLL and KTO maths against hand-computed tensors."""

import math

import pytest
import torch

from laser.losses import (
    dpo_loss,
    dpo_nll_loss,
    kto_kl_estimate,
    kto_loss,
    nll_loss,
    sequence_logp,
)

LN2 = math.log(2.0)
LN3 = math.log(3.0)


def t(*xs):
    return torch.tensor(xs, dtype=torch.float32)


# ---------------------------------------------------------------- sequence log-probs


def test_sequence_logp_sums_or_averages_masked_tokens():
    logps = torch.tensor([[-1.0, -2.0, -3.0], [-4.0, -0.5, -9.0]])
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    # row0: -1-2-3 = -6 ; row1: -4-0.5 = -4.5 (the -9 is padding)
    torch.testing.assert_close(sequence_logp(logps, mask), t(-6.0, -4.5))
    # means: -6/3 = -2 ; -4.5/2 = -2.25
    torch.testing.assert_close(sequence_logp(logps, mask, average=True), t(-2.0, -2.25))


def test_sequence_logp_of_an_empty_row_is_zero():
    logps = torch.tensor([[-1.0, -2.0]])
    mask = torch.zeros(1, 2)
    torch.testing.assert_close(sequence_logp(logps, mask, average=True), t(0.0))


# ---------------------------------------------------------------- DPO


def test_dpo_at_zero_logits_is_ln2_and_rewards_are_beta_times_log_ratio():
    # policy margin (-3) - (-5) = 2 ; reference margin (-4) - (-6) = 2 -> logits 0
    loss, rc, rr = dpo_loss(t(-3.0), t(-5.0), t(-4.0), t(-6.0), beta=0.1)
    # -log sigma(0) = ln 2
    torch.testing.assert_close(loss, torch.tensor(LN2))
    # r_c = 0.1 * (-3 - -4) = 0.1 ; r_r = 0.1 * (-5 - -6) = 0.1
    torch.testing.assert_close(rc, t(0.1))
    torch.testing.assert_close(rr, t(0.1))


def test_dpo_loss_is_mean_of_softplus_of_minus_logits():
    beta = 0.1
    # pair 0: policy margin 10 ln3, reference margin 0 -> logits ln3
    #         -log sigma(ln3) = log(1 + 1/3) = ln(4/3)
    # pair 1: policy margin -10 ln3 -> logits -ln3 ; -log sigma(-ln3) = log(1 + 3) = ln 4
    pc = t(10 * LN3, 0.0)
    pr = t(0.0, 10 * LN3)
    zeros = t(0.0, 0.0)
    loss, rc, rr = dpo_loss(pc, pr, zeros, zeros, beta=beta)
    torch.testing.assert_close(loss, torch.tensor((math.log(4 / 3) + math.log(4.0)) / 2))
    # rewards beta * (pi - ref) = (ln3, 0) and (0, ln3)
    torch.testing.assert_close(rc, t(LN3, 0.0))
    torch.testing.assert_close(rr, t(0.0, LN3))


def test_dpo_label_smoothing_by_hand():
    # logits ln3 as above: (1 - eps) ln(4/3) + eps ln 4 with eps = 0.25
    loss, _, _ = dpo_loss(t(10 * LN3), t(0.0), t(0.0), t(0.0), beta=0.1, label_smoothing=0.25)
    torch.testing.assert_close(loss, torch.tensor(0.75 * math.log(4 / 3) + 0.25 * math.log(4.0)))
    # at logits 0 both terms are ln 2 whatever eps is
    loss0, _, _ = dpo_loss(t(0.0), t(0.0), t(0.0), t(0.0), label_smoothing=0.25)
    torch.testing.assert_close(loss0, torch.tensor(LN2))


def test_dpo_gradient_raises_chosen_and_lowers_rejected():
    pc = t(-2.0, -1.0).requires_grad_()
    pr = t(-2.0, -1.0).requires_grad_()
    ref = t(-2.0, -1.0)
    loss, rc, rr = dpo_loss(pc, pr, ref, ref, beta=0.1)
    loss.backward()
    # logits 0: d/d pi_c of mean(-log sigma(z)) = -beta sigma(-z) / P = -0.1 * 0.5 / 2
    torch.testing.assert_close(pc.grad, t(-0.025, -0.025))
    torch.testing.assert_close(pr.grad, t(0.025, 0.025))
    # gradient descent therefore increases log pi(chosen); rewards carry no graph
    assert not rc.requires_grad and not rr.requires_grad


def test_dpo_reference_gets_no_gradient():
    ref = t(-1.0).requires_grad_()
    loss, _, _ = dpo_loss(t(-1.0).requires_grad_(), t(-2.0), ref, t(-2.0))
    loss.backward()
    assert ref.grad is None


@pytest.mark.parametrize(
    "shapes",
    [
        ((2,), (3,), (2,), (2,)),  # mismatched P
        ((0,), (0,), (0,), (0,)),  # empty
        ((2, 1), (2, 1), (2, 1), (2, 1)),  # not 1-D
    ],
)
def test_dpo_shape_errors(shapes):
    with pytest.raises(ValueError, match="shapes"):
        dpo_loss(*(torch.zeros(s) for s in shapes))


def test_dpo_rejects_label_smoothing_of_a_half():
    with pytest.raises(ValueError, match="label_smoothing"):
        dpo_loss(t(0.0), t(0.0), t(0.0), t(0.0), label_smoothing=0.5)


# ---------------------------------------------------------------- NLL and DPO + NLL


def test_nll_is_length_normalised_per_sequence_then_averaged():
    logps = torch.tensor([[-1.0, -2.0, -3.0], [-4.0, -0.5, -9.0]])
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    # row means: 6/3 = 2 ; 4.5/2 = 2.25 -> (2 + 2.25) / 2 = 2.125
    # (a token-level mean would be 10.5 / 5 = 2.1: the short row counts as much as the long one)
    torch.testing.assert_close(nll_loss(logps, mask), torch.tensor(2.125))


def test_nll_shape_error():
    with pytest.raises(ValueError, match="nll_loss"):
        nll_loss(torch.zeros(2, 3), torch.ones(2, 4))


def test_dpo_nll_combines_components_by_hand():
    chosen = torch.tensor([[-1.0, -1.0], [-2.0, -5.0]], requires_grad=True)
    chosen_mask = torch.tensor([[1, 1], [1, 0]])
    rejected = torch.tensor([[-3.0, -1.0, -1.0], [-1.0, -1.0, -1.0]])
    rejected_mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    # sequence log-probs: chosen (-2, -2), rejected (-5, -2)
    ref_chosen, ref_rejected = t(-2.0, -1.0), t(-5.0, -2.0)
    out = dpo_nll_loss(
        chosen, chosen_mask, rejected, rejected_mask, ref_chosen, ref_rejected, beta=0.5, alpha=2.0
    )
    # pair 0: logits 0.5 * ((-2 - -5) - (-2 - -5)) = 0 -> ln 2
    # pair 1: logits 0.5 * ((-2 - -2) - (-1 - -2)) = -0.5 -> log(1 + e^0.5)
    dpo = (LN2 + math.log1p(math.exp(0.5))) / 2
    # NLL: row means 2/2 = 1 and 2/1 = 2 -> 1.5
    torch.testing.assert_close(out["dpo"], torch.tensor(dpo))
    torch.testing.assert_close(out["nll"], torch.tensor(1.5))
    torch.testing.assert_close(out["loss"], torch.tensor(dpo + 2.0 * 1.5))
    # rewards: chosen 0.5*(-2 - -2) = 0, 0.5*(-2 - -1) = -0.5 ; rejected 0, 0
    # margins (0, -0.5): mean -0.25, none strictly positive
    torch.testing.assert_close(out["reward_margin"], torch.tensor(-0.25))
    torch.testing.assert_close(out["reward_accuracy"], torch.tensor(0.0))
    out["loss"].backward()
    # the masked token of row 1 gets no gradient; real chosen tokens are pushed up
    assert chosen.grad[1, 1] == 0
    assert (chosen.grad[chosen_mask.bool()] < 0).all()


# ---------------------------------------------------------------- KTO


def test_kto_desirable_and_undesirable_by_hand():
    beta = LN3 / 2
    # desirable:   r = -3 - -4 = 1 ; z0 = 1 ; 1 - sigma(beta * 0) = 0.5 ; w_d = 2 -> 1.0
    # undesirable: r = -2 - -1 = -1 ; beta * (z0 - r) = ln3 / 2 * 2 = ln3 ;
    #              1 - sigma(ln3) = 1 - 3/4 = 0.25 ; w_u = 1 -> 0.25
    loss, comp = kto_loss(
        t(-3.0, -2.0),
        t(-4.0, -1.0),
        torch.tensor([True, False]),
        kl_ref=torch.tensor(1.0),
        beta=beta,
        desirable_weight=2.0,
        undesirable_weight=1.0,
    )
    torch.testing.assert_close(loss, torch.tensor((1.0 + 0.25) / 2))
    torch.testing.assert_close(comp["desirable_loss"], torch.tensor(1.0))
    torch.testing.assert_close(comp["undesirable_loss"], torch.tensor(0.25))
    torch.testing.assert_close(comp["rewards"], t(beta, -beta))
    torch.testing.assert_close(comp["kl"], torch.tensor(1.0))
    assert int(comp["num_desirable"]) == 1


def test_kto_negative_kl_is_clamped_to_zero_and_not_differentiated():
    kl = torch.tensor(-0.7, requires_grad=True)
    pol = t(-1.0, -1.0).requires_grad_()
    # r = 0 for both and z0 = max(-0.7, 0) = 0 -> every term is 1 - sigma(0) = 0.5
    loss, comp = kto_loss(pol, t(-1.0, -1.0), torch.tensor([True, False]), kl, beta=0.1)
    torch.testing.assert_close(loss, torch.tensor(0.5))
    torch.testing.assert_close(comp["kl"], torch.tensor(0.0))
    loss.backward()
    assert kl.grad is None
    # d/dr of (1 - sigma(beta r)) / 2 at 0 = -beta/4 / 2 = -0.0125 for the desirable example,
    # +0.0125 for the undesirable one: descent raises the first and lowers the second
    torch.testing.assert_close(pol.grad, t(-0.0125, 0.0125))


def test_kto_accepts_a_float_kl_and_a_single_class():
    loss, comp = kto_loss(t(0.0), t(0.0), torch.tensor([False]), kl_ref=0.0)
    torch.testing.assert_close(loss, torch.tensor(0.5))
    torch.testing.assert_close(comp["desirable_loss"], torch.tensor(0.0))  # no desirable
    torch.testing.assert_close(comp["undesirable_loss"], torch.tensor(0.5))


def test_kto_shape_errors():
    with pytest.raises(ValueError, match="shapes"):
        kto_loss(t(0.0, 0.0), t(0.0), torch.tensor([True, False]), 0.0)
    with pytest.raises(ValueError, match="shapes"):
        kto_loss(t(), t(), torch.tensor([], dtype=torch.bool), 0.0)
    with pytest.raises(ValueError, match="scalar"):
        kto_loss(t(0.0), t(0.0), torch.tensor([True]), t(0.0, 1.0))


def test_kto_kl_estimate_is_clamped_detached_mean():
    pol = t(-1.0, -2.0).requires_grad_()
    # mean((-1 - -2), (-2 - -2)) = 0.5
    kl = kto_kl_estimate(pol, t(-2.0, -2.0))
    torch.testing.assert_close(kl, torch.tensor(0.5))
    assert not kl.requires_grad
    # mean(-3 - -1) = -2 -> 0
    torch.testing.assert_close(kto_kl_estimate(t(-3.0), t(-1.0)), torch.tensor(0.0))
    with pytest.raises(ValueError, match="shapes"):
        kto_kl_estimate(t(0.0), t(0.0, 0.0))
