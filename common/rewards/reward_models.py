"""Reward-model scorers: a model (or a metric) that scores a (prompt, response) pair in [0, 1].

- ``loglik_rm``: the mean log-probability of the response tokens given a conditioning text
  under a causal LM (the likelihood scoring RewardBench uses for generative models), mapped
  to [0, 1] by exp, i.e. the geometric-mean per-token probability (monotone in the mean
  log-prob). ``judge_template`` builds the conditioning text, so one LM with different judge
  prompts gives different reward models.
- ``seqcls_rm``: an ``AutoModelForSequenceClassification`` reward model; sigmoid of the logit
  for a one-label head, probability of label ``positive_label`` (1) otherwise.
- ``metric_rm``: any registered metric scorer used as a reward model.

Each loads its model once and scores in batches of ``batch_size``. Every one takes an
optional ``name`` so that several instances (e.g. LASeR's arms) log under distinct names.
Empty or non-string responses score 0 with ``parse_failed``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from common.rewards.base import RewardOutput, Scorer
from common.rewards.registry import SCORERS, build_scorer

RESPONSE_SLOT = "{response}"


def _valid(response: Any) -> bool:
    return isinstance(response, str) and bool(response.strip())


def _tokenizer(tokenizer: Any, model: Any):
    from transformers import AutoTokenizer

    if tokenizer is None:
        tokenizer = model.name_or_path
    if isinstance(tokenizer, (str, os.PathLike)):
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _fit_window(max_length: int, model: Any) -> int:
    """``max_length`` capped at the model's position count (when its config states one)."""
    limit = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    return min(max_length, limit) if isinstance(limit, int) and limit > 0 else max_length


def _device(model: Any):
    return next(model.parameters()).device


@SCORERS.register("loglik_rm")
class LogLikRM(Scorer):
    """score = exp(mean over response tokens of log p(token | template prefix, earlier
    response tokens)), shape (B,).

    Args:
        model: a loaded causal LM, or a name for :func:`common.models.assets.load_causal_lm`
            (``default``, ``tiny-gpt2``, a hub id or a local path).
        tokenizer: its tokenizer (object, name or path); taken from ``model`` when omitted.
        judge_template: a format string with ``{prompt}`` that ends with ``{response}``; the
            text before ``{response}`` is the conditioning context.
        max_length: tokens per sequence; longer responses are cut at the end, then the
            context is cut from the left.
        dtype: ``auto`` (bf16 where the hardware runs it fast, common.models.precision),
            ``float32`` or ``bfloat16``; ignored when ``model`` is already loaded. In bf16
            the scores stay within ``BF16_RTOL`` (relative) of fp32 (tests/common/rewards/
            test_bf16_scores.py, the embedded 135M policy as judge).
    """

    # max |score(bf16) - score(fp32)| / score(fp32); measured 2.1 % at most on the judge test
    BF16_RTOL = 0.05

    def __init__(
        self,
        model: Any = "default",
        tokenizer: Any = None,
        judge_template: str = "{prompt}\n{response}",
        batch_size: int = 8,
        max_length: int = 1024,
        dtype: str = "auto",
        name: str | None = None,
    ) -> None:
        if not judge_template.endswith(RESPONSE_SLOT) or judge_template.count(RESPONSE_SLOT) != 1:
            raise ValueError(
                f"judge_template must end with {RESPONSE_SLOT} (once): {judge_template!r}"
            )
        if isinstance(model, (str, os.PathLike)):
            from common.models.assets import load_causal_lm
            from common.models.precision import dtype_name

            model, loaded_tok = load_causal_lm(str(model), dtype=dtype_name(dtype))
            tokenizer = tokenizer if tokenizer is not None else loaded_tok
        self.model = model.eval()
        self.tokenizer = _tokenizer(tokenizer, model)
        self.context_template = judge_template[: -len(RESPONSE_SLOT)]
        # A window past the model's positions would make a long response an IndexError mid-run
        self.batch_size, self.max_length = batch_size, _fit_window(max_length, model)
        self.name = name or type(self).name

    def _ids(self, prompt: str, response: str) -> tuple[list[int], list[int]]:
        """(context ids, response ids), tokenized apart so the boundary is exact."""
        tok = self.tokenizer
        context = tok(self.context_template.format(prompt=prompt or ""))["input_ids"]
        reply = tok(response, add_special_tokens=False)["input_ids"][: self.max_length - 1]
        context = context[-(self.max_length - len(reply)) :] if context else []
        if not context:  # the first response token needs something to be predicted from
            context = [tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id]
        return context, reply

    def mean_logprobs(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        """Mean log-prob per response token, float array of shape (B,); NaN for responses
        with no token."""
        import torch

        pairs = [self._ids(p, r) for p, r in zip(prompts, responses, strict=True)]
        out = np.full(len(pairs), np.nan)
        todo = sorted(
            (i for i, (_, r) in enumerate(pairs) if r), key=lambda i: -sum(map(len, pairs[i]))
        )
        device, pad = _device(self.model), self.tokenizer.pad_token_id
        for start in range(0, len(todo), self.batch_size):
            rows = todo[start : start + self.batch_size]
            seqs = [pairs[i][0] + pairs[i][1] for i in rows]
            width = max(map(len, seqs))
            ids = torch.full((len(rows), width), pad, dtype=torch.long)
            attn = torch.zeros((len(rows), width), dtype=torch.long)
            scored = torch.zeros((len(rows), width), dtype=torch.bool)  # response positions
            for b, i in enumerate(rows):
                n_ctx, n = len(pairs[i][0]), len(seqs[b])
                ids[b, :n] = torch.tensor(seqs[b])
                attn[b, :n] = 1
                scored[b, n_ctx:n] = True
            with torch.inference_mode():
                logits = self.model(input_ids=ids.to(device), attention_mask=attn.to(device)).logits
            # token t is predicted by position t-1; right padding leaves real positions intact
            logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
            token_lp = logp.gather(-1, ids[:, 1:, None].to(device))[..., 0].cpu()
            mask = scored[:, 1:]
            means = (token_lp * mask).sum(1) / mask.sum(1)
            out[rows] = means.double().numpy()
        return out

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        valid = np.array([_valid(o) for o in outputs], dtype=bool)
        responses = [o if v else "" for o, v in zip(outputs, valid, strict=True)]
        means = self.mean_logprobs(prompts, responses)
        failed = ~valid | np.isnan(means)
        scores = np.where(failed, 0.0, np.exp(np.nan_to_num(means, nan=-np.inf)))
        return RewardOutput(self.name, scores, failed)


@SCORERS.register("seqcls_rm")
class SeqClsRM(Scorer):
    """A sequence-classification reward model; scores of shape (B,) in [0, 1].

    The pair is encoded with the tokenizer's chat template (user prompt, assistant response)
    when it has one (``use_chat_template=None``) or when asked, else as a text pair.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        batch_size: int = 8,
        max_length: int = 1024,
        use_chat_template: bool | None = None,
        positive_label: int = 1,
        dtype: str = "float32",  # no bundled classifier to test bf16 against: opt in ("auto")
        name: str | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification

        if isinstance(model, (str, os.PathLike)):
            from common.models.precision import dtype_name

            model = AutoModelForSequenceClassification.from_pretrained(
                str(model), dtype=getattr(torch, dtype_name(dtype))
            )
        self.model = model.eval()
        self.tokenizer = _tokenizer(tokenizer, model)
        if self.model.config.pad_token_id is None:  # the head finds the last token by it
            self.model.config.pad_token_id = self.tokenizer.pad_token_id
        if use_chat_template is None:
            use_chat_template = getattr(self.tokenizer, "chat_template", None) is not None
        self.use_chat_template = use_chat_template
        # A window past the model's positions would make a long response an IndexError mid-run
        self.batch_size, self.max_length = batch_size, _fit_window(max_length, model)
        self.positive_label = positive_label
        self.name = name or type(self).name

    def _encode(self, prompts: list[str], responses: list[str]):
        tok = self.tokenizer
        kw = dict(return_tensors="pt", padding=True, truncation=True, max_length=self.max_length)
        if not self.use_chat_template:
            return tok(prompts, responses, **kw)
        texts = [
            tok.apply_chat_template(
                [{"role": "user", "content": p}, {"role": "assistant", "content": r}],
                tokenize=False,
            )
            for p, r in zip(prompts, responses, strict=True)
        ]
        return tok(texts, add_special_tokens=False, **kw)  # the template has its own specials

    def rewards(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        """Rewards in [0, 1], float array of shape (B,)."""
        import torch

        out = []
        for start in range(0, len(prompts), self.batch_size):
            sl = slice(start, start + self.batch_size)
            enc = self._encode([p or "" for p in prompts[sl]], list(responses[sl]))
            with torch.inference_mode():
                logits = self.model(**enc.to(_device(self.model))).logits.float()
            if logits.shape[-1] == 1:
                out.append(torch.sigmoid(logits[:, 0]).cpu())
            else:
                out.append(logits.softmax(-1)[:, self.positive_label].cpu())
        return torch.cat(out).double().numpy() if out else np.zeros(0)

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        valid = np.array([_valid(o) for o in outputs], dtype=bool)
        scores = np.zeros(len(outputs))
        rows = np.flatnonzero(valid)
        if rows.size:
            scores[rows] = self.rewards([prompts[i] for i in rows], [outputs[i] for i in rows])
        return RewardOutput(self.name, scores, ~valid)


@SCORERS.register("metric_rm")
class MetricRM(Scorer):
    """A registered metric used as a reward model, scored in chunks of ``batch_size``;
    ``metric_kwargs`` go to the metric's constructor."""

    @classmethod
    def gold_problem(cls, gold: Any, options: Any = None) -> str | None:
        metric = (options or {}).get("metric")
        if metric is None:
            return None
        return SCORERS.get(metric).gold_problem(gold)

    def __init__(
        self, metric: str, batch_size: int = 64, name: str | None = None, **metric_kwargs: Any
    ) -> None:
        self.metric = build_scorer(metric, **metric_kwargs)
        self.batch_size = batch_size
        self.aggregation = self.metric.aggregation
        self.higher_is_better = self.metric.higher_is_better
        self.name = name or f"{type(self).name}:{metric}"

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        if len(outputs) == 0:
            return RewardOutput(self.name, np.zeros(0), np.zeros(0, dtype=bool))
        parts = [
            self.metric(
                prompts[s : s + self.batch_size],
                outputs[s : s + self.batch_size],
                golds[s : s + self.batch_size],
            )
            for s in range(0, len(outputs), self.batch_size)
        ]
        joined = RewardOutput.concat(parts)
        return RewardOutput(self.name, joined.scores, joined.parse_failed, joined.counts)
