"""Reward-model scorers on tiny random GPT-2s built offline, checked against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from transformers import (
    GPT2Config,
    GPT2ForSequenceClassification,
    GPT2LMHeadModel,
    GPT2TokenizerFast,
)

import common.rewards.math_answer  # noqa: F401  (registers math_exact for metric_rm)
from common.models.assets import gpt2_tokenizer_dir
from common.rewards.reward_models import LogLikRM, MetricRM, SeqClsRM

PROMPTS = ["What is 2 + 2?", "Name a colour.", "Say hi."]
RESPONSES = ["It is four, of course.", "Blue", "Hello there, how are you doing today?"]


@pytest.fixture(scope="module")
def tok() -> GPT2TokenizerFast:
    tok = GPT2TokenizerFast.from_pretrained(gpt2_tokenizer_dir())
    tok.pad_token = tok.eos_token
    return tok


def tiny_config(tok, **kw) -> GPT2Config:
    return GPT2Config(
        n_layer=2,
        n_head=2,
        n_embd=32,
        n_positions=256,
        vocab_size=tok.vocab_size,
        pad_token_id=tok.eos_token_id,
        **kw,
    )


@pytest.fixture(scope="module")
def lm(tok) -> GPT2LMHeadModel:
    torch.manual_seed(0)
    return GPT2LMHeadModel(tiny_config(tok)).eval()


def hand_mean_logprob(model, tok, context: str, response: str) -> float:
    """One example, no padding: mean of log_softmax(logits[t-1])[token t] over response t."""
    ctx = tok(context)["input_ids"]
    resp = tok(response, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([ctx + resp])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0], dim=-1)
    return sum(logp[t - 1, ids[0, t]].item() for t in range(len(ctx), ids.shape[1])) / len(resp)


def test_loglik_batched_matches_hand(lm, tok):
    rm = LogLikRM(lm, tok, batch_size=2)  # 3 rows of different lengths: padding + 2 batches
    got = rm.mean_logprobs(PROMPTS, RESPONSES)
    want = [
        hand_mean_logprob(lm, tok, p + "\n", r) for p, r in zip(PROMPTS, RESPONSES, strict=True)
    ]
    np.testing.assert_allclose(got, want, atol=1e-5)
    res = rm(PROMPTS, RESPONSES, [None] * 3)
    np.testing.assert_allclose(res.scores, np.exp(want), rtol=1e-5)  # exp(mean log-prob)
    assert ((res.scores > 0) & (res.scores <= 1)).all() and not res.parse_failed.any()


def test_judge_template_changes_the_reward(lm, tok):
    template = "Question: {prompt}\nA truthful, helpful answer: {response}"
    rm = LogLikRM(lm, tok, judge_template=template, name="judge2")
    got = rm.mean_logprobs(PROMPTS[:1], RESPONSES[:1])[0]
    want = hand_mean_logprob(
        lm, tok, f"Question: {PROMPTS[0]}\nA truthful, helpful answer: ", RESPONSES[0]
    )
    assert got == pytest.approx(want, abs=1e-5)
    assert got != pytest.approx(LogLikRM(lm, tok).mean_logprobs(PROMPTS[:1], RESPONSES[:1])[0])
    assert rm(PROMPTS[:1], RESPONSES[:1], [None]).name == "judge2"
    with pytest.raises(ValueError, match="response"):
        LogLikRM(lm, tok, judge_template="{response} was the answer to {prompt}")


def test_loglik_loads_from_path_and_handles_bad_outputs(lm, tok, tmp_path):
    lm.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    rm = LogLikRM(str(tmp_path), max_length=32, dtype="float32")  # as `lm` below
    outputs = [RESPONSES[0], None, "", "word " * 2000]
    res = rm(["q"] * 4, outputs, [None] * 4)
    assert res.parse_failed.tolist() == [False, True, True, False]
    assert res.scores[1] == 0.0 and res.scores[2] == 0.0
    assert 0 < res.scores[3] <= 1 and math.isfinite(res.scores[3])  # cut to 32 tokens
    same = LogLikRM(lm, tok).mean_logprobs(["q"], [RESPONSES[0]])[0]
    assert math.log(res.scores[0]) == pytest.approx(same, abs=1e-5)


@pytest.mark.parametrize("num_labels", [1, 2])
def test_seqcls_rm_matches_hand(tok, tmp_path, num_labels):
    torch.manual_seed(1)
    model = GPT2ForSequenceClassification(tiny_config(tok, num_labels=num_labels)).eval()
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    rm = SeqClsRM(str(tmp_path), batch_size=2)
    assert not rm.use_chat_template  # GPT-2's files carry no chat template
    res = rm(PROMPTS + ["q"], RESPONSES + [""], [None] * 4)
    for i, (p, r) in enumerate(zip(PROMPTS, RESPONSES, strict=True)):
        with torch.no_grad():
            logits = model(**tok(p, r, return_tensors="pt")).logits[0]
        # one label: sigmoid(logit); two labels: softmax probability of label 1
        want = torch.sigmoid(logits[0]) if num_labels == 1 else logits.softmax(-1)[1]
        assert res.scores[i] == pytest.approx(want.item(), abs=1e-5)
    assert res.scores[3] == 0.0 and res.parse_failed.tolist() == [False, False, False, True]


def test_seqcls_rm_chat_template(tok):
    torch.manual_seed(2)
    model = GPT2ForSequenceClassification(tiny_config(tok, num_labels=1)).eval()
    chat_tok = GPT2TokenizerFast.from_pretrained(gpt2_tokenizer_dir())
    chat_tok.chat_template = (
        "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    )
    rm = SeqClsRM(model, chat_tok)
    assert rm.use_chat_template
    got = rm.rewards(PROMPTS[:1], RESPONSES[:1])[0]
    text = f"user: {PROMPTS[0]}\nassistant: {RESPONSES[0]}\n"
    with torch.no_grad():
        want = torch.sigmoid(model(**tok(text, return_tensors="pt")).logits[0, 0]).item()
    assert got == pytest.approx(want, abs=1e-5)


def test_metric_rm_wraps_a_metric():
    rm = MetricRM("math_exact", batch_size=2)
    outputs = ["#### 3", "#### 4", None, "The answer is 5", "x"]
    res = rm(["q"] * 5, outputs, [3, 3, 3, 5, 1])
    assert rm.name == "metric_rm:math_exact"
    assert res.name == "metric_rm:math_exact"
    assert res.scores.tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]
    assert res.parse_failed.tolist() == [False, False, True, False, True]
