"""Response log-probs (common.generation.logprobs): the chunked ``logit[token] - logsumexp`` head, the
LM head on scored positions only, and the shared-prompt forward in groups of similar length
must give the values and gradients of the plain computation (one forward over prompt +
response per row, full-vocabulary fp32 log_softmax), to fp32 tolerance on a tiny GPT-2."""

import pytest
import torch
import torch.nn.functional as F

import common.generation.logprobs as logprobs
from common.generation.logprobs import (
    length_buckets,
    rollout_logprobs,
    sequence_logprobs,
    shared_prompt_logprobs,
    token_logprobs,
)
from common.generation.rollout import Rollout
from common.training.losses import clipped_surrogate_loss

TOL = {"atol": 1e-5, "rtol": 1e-5}
GRAD_TOL = {"atol": 1e-4, "rtol": 1e-4}


def plain_logprobs(model, r: Rollout) -> torch.Tensor:
    """The unshared path as it was: one forward over prompt + response per row, every
    position's logits, fp32 log_softmax over the vocabulary, gathered at the tokens."""
    ids, am = r.input_ids, r.attention_mask
    T = r.response_ids.shape[1]
    logits = model(
        input_ids=ids, attention_mask=am, position_ids=(am.cumsum(1) - 1).clamp(min=0)
    ).logits
    logp = F.log_softmax(logits[:, -T - 1 : -1].float(), dim=-1)
    return logp.gather(2, r.response_ids.unsqueeze(-1)).squeeze(-1)


def _grads(model, value: torch.Tensor) -> list[torch.Tensor]:
    params = [p for p in model.parameters() if p.requires_grad]
    return list(torch.autograd.grad(value, params))


def _assert_grads_close(a: list[torch.Tensor], b: list[torch.Tensor]) -> None:
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, **GRAD_TOL)


def group_rollout(vocab: int, lengths: list[int], n: int = 3, seed: int = 0) -> Rollout:
    """len(lengths) rows, n per prompt (prompt-major), left-padded prompts of different
    lengths, responses right-padded after ``lengths[i]`` tokens (T = max length + 2)."""
    g = torch.Generator().manual_seed(seed)
    G = len(lengths) // n
    P, T = 7, max(lengths) + 2
    prompts = torch.randint(0, vocab, (G, P), generator=g)
    pmask = torch.ones(G, P, dtype=torch.long)
    for i in range(G):
        pmask[i, : 2 * i] = 0  # prompt i has 2 * i pad tokens on the left
    prompts = prompts * pmask
    rows = torch.arange(G).repeat_interleave(n)
    responses = torch.randint(0, vocab, (len(lengths), T), generator=g)
    rmask = (torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]).long()
    return Rollout(prompts[rows], pmask[rows], responses * rmask, rmask, [""] * len(lengths))


LENGTHS = [1, 9, 3, 8, 2, 9, 4, 6, 5]  # 3 prompts x 3 samples, ending at different places


@pytest.fixture
def model(tiny_lm):
    model, _ = tiny_lm
    model.eval()  # no dropout: every path must see the same network
    return model


@pytest.fixture
def many_groups(monkeypatch):
    """No cost per extra forward: the shared path cuts every distinct length apart."""
    monkeypatch.setitem(logprobs._BUCKET_OVERHEAD_TOKENS, "cpu", 0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_token_logprobs_and_grads_equal_log_softmax(dtype, monkeypatch):
    monkeypatch.setattr(logprobs, "_CHUNK_ELEMENTS", 3 * 50)  # chunks of 3 rows, last short
    torch.manual_seed(0)
    logits = (4 * torch.randn(10, 50)).to(dtype).requires_grad_()
    targets = torch.randint(0, 50, (10,))
    weights = torch.randn(10)
    got = token_logprobs(logits, targets)
    (got_grad,) = torch.autograd.grad((got * weights).sum(), logits)
    want = F.log_softmax(logits.float(), -1).gather(1, targets[:, None]).squeeze(1)
    (want_grad,) = torch.autograd.grad((want * weights).sum(), logits)
    assert got.dtype == torch.float32 and got_grad.dtype == dtype
    torch.testing.assert_close(got, want, **TOL)
    torch.testing.assert_close(got_grad, want_grad, **TOL)


def test_length_buckets_cut_the_sorted_rows_where_padding_costs_most():
    lengths = [90, 10, 12, 95, 11, 88]
    assert length_buckets(lengths, overhead=10**9) == [[1, 4, 2, 5, 0, 3]]
    # two groups: 3 * 12 + 3 * 95 + 2 * 32 = 385 < 6 * 95 + 32 = 602
    assert length_buckets(lengths, overhead=32) == [[1, 4, 2], [5, 0, 3]]
    assert length_buckets(lengths, overhead=0) == [[1], [4], [2], [5], [0], [3]]
    assert length_buckets([], overhead=0) == []


def test_sequence_logprobs_score_only_the_masked_tokens(model):
    r = group_rollout(model.config.vocab_size, LENGTHS)
    m = r.response_mask.bool()
    got = sequence_logprobs(
        model, r.input_ids, r.attention_mask, r.response_ids.shape[1], r.response_mask
    )
    want = plain_logprobs(model, r)
    torch.testing.assert_close(got[m], want[m], **TOL)
    assert torch.all(got[~m] == 0)
    _assert_grads_close(_grads(model, got[m].sum()), _grads(model, want[m].sum()))


@pytest.mark.parametrize("boolean_keep", [True, False])
def test_shared_prompt_in_length_groups_equals_the_plain_path(model, many_groups, boolean_keep):
    """Values and gradients of the shared-prompt forward, cut into one group per length,
    equal one plain forward per row (with and without transformers' boolean
    logits_to_keep)."""
    if boolean_keep and not logprobs._BOOLEAN_LOGITS_TO_KEEP:
        pytest.skip("this transformers has no boolean logits_to_keep")
    r = group_rollout(model.config.vocab_size, LENGTHS)
    calls = []
    forward = model.forward

    def counted(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape)
        return forward(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logprobs, "_BOOLEAN_LOGITS_TO_KEEP", boolean_keep)
        mp.setattr(model, "forward", counted)
        got = rollout_logprobs(model, r)
    # one prefill of the 3 prompts, then one forward per group (the 1-token row needs none)
    assert calls[0][0] == 3 and len(calls) == 1 + len(set(LENGTHS) - {1})
    want = plain_logprobs(model, r)
    m = r.response_mask.bool()
    torch.testing.assert_close(got[m], want[m], **TOL)
    assert torch.all(got[~m] == 0)
    weights = torch.randn(m.shape)  # any upstream gradient, not only a sum
    _assert_grads_close(
        _grads(model, (got * weights * m).sum()), _grads(model, (want * weights * m).sum())
    )


def test_shared_prompt_with_a_hole_in_the_mask(model, many_groups):
    """A mask need not be a prefix: unscored positions inside a response hold 0 and the rest
    keep their values."""
    r = group_rollout(model.config.vocab_size, [5, 5, 5], n=3)
    r.response_mask[1, 2] = 0
    prompt_index = torch.zeros(3, dtype=torch.long)
    got = shared_prompt_logprobs(
        model, r.prompt_ids[:1], r.prompt_mask[:1], r.response_ids, r.response_mask, prompt_index
    )
    # the plain path with the same attention mask
    want = plain_logprobs(model, r)
    m = r.response_mask.bool()
    torch.testing.assert_close(got[m], want[m], **TOL)
    assert got[1, 2] == 0


def test_grpo_loss_and_gradients_equal_the_unshared_path(model):
    """What a GRPO step differentiates: the clipped surrogate with the k3 KL to a reference,
    from the shared-prompt log-probs of the policy and the reference, equals the same loss
    from one plain forward per row, in value and in every parameter's gradient."""
    import copy

    reference = copy.deepcopy(model)
    with torch.no_grad():  # a reference that differs from the policy
        for p in reference.parameters():
            p.add_(0.01 * torch.randn_like(p))
    r = group_rollout(model.config.vocab_size, LENGTHS)
    adv = torch.randn(len(LENGTHS))

    def loss_of(path) -> torch.Tensor:
        with torch.no_grad():
            logp_ref = path(reference, r)
        logp = path(model, r)
        return clipped_surrogate_loss(
            logp,
            logp.detach() - 0.05,  # pi_old != pi: the ratio is not 1
            logp_ref,
            adv,
            r.response_mask,
            clip_low=0.2,
            clip_high=0.2,
            kl_coef=0.04,
            token_mean_per_sequence=True,  # GRPO's mean over each sequence's tokens
        )[0]

    shared, plain = loss_of(rollout_logprobs), loss_of(plain_logprobs)
    torch.testing.assert_close(shared, plain, **TOL)
    _assert_grads_close(_grads(model, shared), _grads(model, plain))


def test_training_forward_on_cpu_runs_eager_attention_and_puts_sdpa_back(model):
    """torch's CPU flash attention has a slow backward: a differentiated forward runs eager
    attention, and so does a no-grad one (a reference, pi_old: the same kernels as the policy
    it is compared with); the config is restored either way."""
    assert model.config._attn_implementation == "sdpa"
    r = group_rollout(model.config.vocab_size, LENGTHS)
    seen = []
    forward = model.forward

    def spy(*args, **kwargs):
        seen.append(model.config._attn_implementation)
        return forward(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(model, "forward", spy)
        rollout_logprobs(model, r)
        assert set(seen) == {"eager"}
        seen.clear()
        with torch.no_grad():
            rollout_logprobs(model, r)
        assert set(seen) == {"eager"}
    assert model.config._attn_implementation == "sdpa"
