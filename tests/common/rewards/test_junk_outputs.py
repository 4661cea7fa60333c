"""Every registered scorer survives junk model outputs: empty, 200k characters, lone
surrogates, NUL bytes, control characters, not even a string. Each scores 0 as a parse
failure, never raises, and the failures are counted per metric (``parse_fail/<metric>``).

A scorer registered without a case below fails ``test_every_builtin_scorer_has_a_case``, so
a new metric cannot skip this check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from common.data.types import Example
from common.rewards import SCORERS, build_scorer
from common.rewards.base import Scorer, unscorable_reason
from common.rewards.reward_set import RewardSet

JUNK: dict[str, Any] = {
    "empty": "",
    "whitespace": "  \n\t ",
    "200k_chars": "x" * 200_000,
    "200k_words": "word " * 40_000,
    "lone_surrogate": "\udcff",
    "surrogate_in_text": "The answer is 2 \udcff.",
    "nul": "\x00",
    "nul_in_text": "The answer is 2\x00",
    "control_chars": "\x07\x1b[31m 2",
    "none": None,
    "not_a_string": 42,
}


@functools.cache
def _small_nli():
    """A small offline NLI (trained once, cached): the ALCE metrics' real code path."""
    from common.rewards.nli import EmbeddingNLI

    return EmbeddingNLI(n_premises=60, epochs=100)


def _tiny_seqcls_rm() -> Scorer:
    from transformers import GPT2ForSequenceClassification

    from common.models.assets import load_causal_lm

    lm, tok = load_causal_lm("tiny-gpt2", seed=0)
    config = lm.config
    config.num_labels = 1
    return build_scorer("seqcls_rm", model=GPT2ForSequenceClassification(config), tokenizer=tok)


@dataclass
class Case:
    """How to build one scorer cheaply, a valid (prompt, gold, output) for it, and outputs
    that are text but that its parser cannot read (structured metrics only)."""

    build: Callable[[], Scorer]
    prompt: str
    gold: Any
    good: str
    unparseable: list[str] = field(default_factory=list)


REF = "A braided USB-C cable that charges a phone quickly."
ALCE_DOCS = [{"title": "France", "text": "Paris is the capital of France."}]

# IFEval-format gold (common/data/ifeval.py): two constraints the good output passes
IF_GOLD = {
    "instruction_id_list": ["punctuation:no_comma", "keywords:existence"],
    "kwargs": [{}, {"keywords": ["cable"]}],
    "registry": "ifeval",
}
IF_SCORERS = (
    "if_keywords",
    "if_length",
    "if_format",
    "if_case",
    "if_punctuation",
    "if_startend",
    "if_content",
    "if_language",
    "if_combination",
    "if_verifier",
)

CASES: dict[str, Case] = {
    "mc_accuracy": Case(
        lambda: build_scorer("mc_accuracy"),
        "Pick one.\n0. a\n1. b\n2. c\nAnswer: ",
        2,
        "2",
        ["C", "[[[[" * 4000],
    ),
    "hit_at_3": Case(
        lambda: build_scorer("hit_at_3"), "Which items?", [1, 2, 3], "1, 2, 3", ["none", "1 2"]
    ),
    "ndcg": Case(
        lambda: build_scorer("ndcg"),
        "Rank.",
        [1, 0.5, 0, 0, 0],
        "1,2,3,4,5",
        ["1, 1, 2", "nothing"],
    ),
    "ner_f1": Case(
        lambda: build_scorer("ner_f1"), "Entities?", ["usb-c cable"], "usb-c cable", [" , ,, "]
    ),
    "rouge_l": Case(lambda: build_scorer("rouge_l"), "Describe.", REF, REF),
    "bleu4": Case(lambda: build_scorer("bleu4"), "Describe.", REF, REF),
    "jp_bleu": Case(
        lambda: build_scorer("jp_bleu"), "Translate.", "高速充電ケーブル", "高速充電ケーブル"
    ),
    "sent_sim": Case(lambda: build_scorer("sent_sim"), "Describe.", REF, REF),
    "multilingual_sim": Case(lambda: build_scorer("multilingual_sim"), "Describe.", REF, REF),
    "math_exact": Case(
        lambda: build_scorer("math_exact"), "2 + 2?", "4", "#### 4", ["no number at all"]
    ),
    "answer_format": Case(lambda: build_scorer("answer_format"), "2 + 2?", None, "#### 4"),
    "length_reward": Case(
        lambda: build_scorer("length_reward", target_words=3), "Say hi.", None, "hi there you"
    ),
    "prompt_relevance": Case(
        lambda: build_scorer("prompt_relevance"), "Describe a USB-C cable.", None, REF
    ),
    "pref_rm": Case(
        lambda: build_scorer("pref_rm", n_prompts=30, epochs=150), "Describe a cable.", None, REF
    ),
    "loglik_rm": Case(lambda: build_scorer("loglik_rm", model="tiny-gpt2"), "Describe.", None, REF),
    "seqcls_rm": Case(_tiny_seqcls_rm, "Describe.", None, REF),
    "metric_rm": Case(lambda: build_scorer("metric_rm", metric="rouge_l"), "Describe.", REF, REF),
    "mauve_fluency": Case(lambda: build_scorer("mauve_fluency"), "Why?", REF, REF),
    "alce_em_recall": Case(
        lambda: build_scorer("alce_em_recall"),
        "Capital of France?",
        {"qa_pairs": [{"short_answers": ["Paris"]}]},
        "Paris [1].",
    ),
    "alce_str_hit": Case(
        lambda: build_scorer("alce_str_hit"),
        "Capital of France?",
        {"qa_pairs": [{"short_answers": ["Paris"]}]},
        "Paris [1].",
    ),
    **{
        name: Case(
            lambda name=name: build_scorer(name, nli=_small_nli()),
            "Capital of France?",
            {"claims": ["Paris is the capital of France."], "docs": ALCE_DOCS},
            "Paris is the capital of France [1].",
        )
        for name in (
            "alce_claim_recall",
            "alce_citation_rec",
            "alce_citation_prec",
            "alce_citation_f1",
        )
    },
    **{
        name: Case(lambda name=name: build_scorer(name), "Describe a cable.", IF_GOLD, REF)
        for name in IF_SCORERS
    },
}


def _builtin_scorers() -> list[str]:
    # Tests register their own fault-injecting scorers; only the shipped ones need a case.
    return [n for n in SCORERS.names() if SCORERS.get(n).__module__.startswith("common.")]


def test_every_builtin_scorer_has_a_case():
    assert sorted(CASES) == _builtin_scorers()


@pytest.mark.parametrize("junk", list(JUNK), ids=list(JUNK))
def test_unscorable_reason_flags_every_junk_output(junk):
    assert unscorable_reason(JUNK[junk]) is not None
    assert unscorable_reason("A plain answer,\twith\r\na newline.") is None


# Scorers that, like the official ShopBench evaluator, score an output's first 5000 characters.
SHOPBENCH_TRUNCATING = {
    "mc_accuracy",
    "hit_at_3",
    "ndcg",
    "ner_f1",
    "rouge_l",
    "bleu4",
    "jp_bleu",
    "sent_sim",
    "multilingual_sim",
}

# Long but under the cap: scored for real (truncated by the models), never an IndexError.
LONG_TEXT = "The cable charges the phone well. " * 900


@pytest.mark.parametrize("name", sorted(CASES))
def test_junk_outputs_score_zero_as_parse_failures_and_never_raise(name):
    case = CASES[name]
    if name == "mauve_fluency":
        pytest.importorskip("mauve")
    scorer = case.build()
    outputs = [case.good, LONG_TEXT, *JUNK.values(), *case.unparseable]
    n = len(outputs)
    out = scorer([case.prompt] * n, outputs, [case.gold] * n)
    assert out.scores.shape == (n,) and out.parse_failed.shape == (n,)
    assert np.isfinite(out.scores).all() and ((out.scores >= 0) & (out.scores <= 1)).all()
    # The guard reads only the part a scorer scores: the ShopBench scorers (official 5000-char
    # truncation) score the head of a 200k-char output instead of zeroing it.
    cut = [k for k, v in JUNK.items() if unscorable_reason(scorer.scored_part(v)) is None]
    assert set(cut) <= {"200k_chars", "200k_words"}, cut
    if cut:
        assert name in SHOPBENCH_TRUNCATING, f"{name} scores part of {cut}"
        heads = [scorer.scored_part(JUNK[k]) for k in cut]
        expected = scorer([case.prompt] * len(heads), heads, [case.gold] * len(heads))
        got = [out.scores[2 + list(JUNK).index(k)] for k in cut]
        np.testing.assert_allclose(got, expected.scores)
    junk_rows = [2 + j for j, k in enumerate(JUNK) if k not in cut]
    np.testing.assert_array_equal(out.scores[junk_rows], 0.0, err_msg=f"{name}: junk scored > 0")
    np.testing.assert_array_equal(out.scores[2 + len(JUNK) :], 0.0, err_msg=f"{name}: unparseable")
    junk_failed = out.parse_failed[junk_rows]
    assert junk_failed.all(), dict(zip([k for k in JUNK if k not in cut], junk_failed, strict=True))
    assert out.parse_failed[2 + len(JUNK) :].all(), case.unparseable


def test_parse_failures_are_counted_per_metric_in_the_logged_figures():
    rs = RewardSet(
        ["fmt", "short"],
        routing="all",
        options={"fmt": {"scorer": "answer_format"}, "short": {"scorer": "length_reward"}},
    )
    outputs = ["#### 4", *JUNK.values()]
    examples = [Example(prompt="2 + 2?", gold=None, metric="x")] * len(outputs)
    figures = rs.score(examples, outputs).log_dict()
    assert figures["parse_fail/fmt"] == len(JUNK) and figures["parse_fail/short"] == len(JUNK)
    assert figures["reward/fmt"] == pytest.approx(1 / len(outputs))
