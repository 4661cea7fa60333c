"""ROUGE-L, BLEU-4 and Japanese BLEU: hand-computed values and agreement with the libraries
called directly the way the official scorer calls them."""

from __future__ import annotations

import logging
import random

import numpy as np
import pytest
import sacrebleu
from rouge_score import rouge_scorer

from common.rewards import text_overlap
from common.rewards.registry import build_scorer
from common.rewards.text_overlap import JapaneseBLEU, as_references

JUNK_OUTPUTS = [None, "", " \n ", "\x00", 7]


def run(name, outputs, golds, **kw):
    return build_scorer(name, **kw)([""] * len(outputs), outputs, golds)


def test_as_references():
    assert as_references("a") == ["a"]
    assert as_references(["a", "b"]) == ["a", "b"]
    for bad in ([], [1], None, 3):
        with pytest.raises(ValueError):
            as_references(bad)


# --- ROUGE-L -------------------------------------------------------------------------------


def test_rouge_l_hand_computed():
    out = run(
        "rouge_l",
        ["very comfortable", "\nRunning shoes\n", "comfortable", ""],
        ["super comfortable", "run shoe", ["not snug", "super comfortable"], "works"],
    )
    # 1: tokens [veri, comfort] vs [super, comfort]: LCS 1, P = R = 1/2 -> F 0.5
    # 2: stemming: running -> run, shoes -> shoe: identical -> 1
    # 3: two references: best is "super comfortable": LCS 1, P 1/1, R 1/2 -> F 2/3
    # 4: empty output -> 0, parse failed
    np.testing.assert_allclose(out.scores, [0.5, 1.0, 2 / 3, 0.0])
    np.testing.assert_array_equal(out.parse_failed, [0, 0, 0, 1])


def test_rouge_l_matches_rouge_score_directly():
    rng = random.Random(0)
    words = "the quick brown fox running jumps over lazy dogs comfortable fits snug".split()
    hyps = [" ".join(rng.choices(words, k=rng.randint(1, 15))) for _ in range(200)]
    refs = [" ".join(rng.choices(words, k=rng.randint(1, 10))) for _ in range(200)]
    reference = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    expected = [reference.score(r, h)["rougeL"].fmeasure for h, r in zip(hyps, refs, strict=True)]
    np.testing.assert_allclose(run("rouge_l", hyps, refs).scores, expected, rtol=0, atol=1e-12)


# --- BLEU ----------------------------------------------------------------------------------


def test_bleu4_hand_computed():
    out = run("bleu4", ["The cat sat on the mat"], ["the cat sat on a mat"])
    # lowercased, 6 tokens each (BP = 1). Clipped n-gram precisions:
    # 1-gram 5/6 (second "the" unmatched), 2-gram 3/5, 3-gram 2/4, 4-gram 1/3
    # BLEU = (5/6 * 3/5 * 2/4 * 1/3) ** (1/4) = 0.083333 ** 0.25 = 0.537285
    assert out.scores[0] == pytest.approx((5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25)


def test_bleu4_first_line_only_and_official_corpus_semantics():
    gold = "Fimo Soft Starter Pack 12 x 56g Multicolour Blocks by Steadtler"
    out = run(
        "bleu4",
        [f"\n{gold.upper()}\nSome explanation after it", "super comfortable"],
        [gold, "super comfortable"],
    )
    # Leading newline stripped, first line kept, case ignored -> exact -> 1.
    # Two tokens: no 3/4-grams; the official corpus BLEU on one sentence gives 0 here...
    np.testing.assert_allclose(out.scores, [1.0, 0.0], atol=1e-9)
    # ...while sacrebleu's sentence-level BLEU (effective order) gives 1: opt-in.
    dense = run("bleu4", ["super comfortable"], ["super comfortable"], effective_order=True)
    assert dense.scores[0] == pytest.approx(1.0)


def test_bleu4_matches_sacrebleu_directly():
    rng = random.Random(1)
    words = "Fimo soft starter pack blocks multicolour cepillo de dientes eléctrico 12 x".split()
    hyps = [" ".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(100)]
    refs = [" ".join(rng.choices(words, k=rng.randint(3, 12))) for _ in range(100)]
    expected = [
        sacrebleu.corpus_bleu([h], [[r]], lowercase=True, tokenize="13a").score / 100
        for h, r in zip(hyps, refs, strict=True)
    ]
    np.testing.assert_allclose(run("bleu4", hyps, refs).scores, expected, atol=1e-12)
    # Where every n-gram order has a hypothesis n-gram (>= 4 tokens) this is sentence BLEU.
    long = [(h, r) for h, r in zip(hyps, refs, strict=True) if len(h.split()) >= 4]
    sentence = [sacrebleu.sentence_bleu(h, [r], lowercase=True).score / 100 for h, r in long]
    got = run("bleu4", [h for h, _ in long], [r for _, r in long]).scores
    np.testing.assert_allclose(got, sentence, atol=1e-12)


def test_bleu4_multiple_references():
    out = run("bleu4", ["the cat sat on a mat"], [["a dog ran", "the cat sat on a mat"]])
    assert out.scores[0] == pytest.approx(1.0)


# --- Japanese BLEU -------------------------------------------------------------------------


def test_jp_bleu_falls_back_to_char_with_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(text_overlap, "mecab_available", lambda: False)
    monkeypatch.setattr(JapaneseBLEU, "_warned", False)
    with caplog.at_level(logging.WARNING, logger="common.rewards.text_overlap"):
        scorer = build_scorer("jp_bleu")
        build_scorer("jp_bleu")
    warnings = [r for r in caplog.records if "falling back to 'char'" in r.getMessage()]
    assert len(warnings) == 1 and scorer.tokenizer_used == "char"
    out = scorer(["", ""], ["東京都の天気です", "東京都の天気"], ["東京都の天気", "東京都の天気"])
    # chars: hyp 8, ref 6 (hyp longer: BP 1); precisions 6/8, 5/7, 4/6, 3/5
    # BLEU = (0.75 * 0.714286 * 0.666667 * 0.6) ** 0.25 = 0.214286 ** 0.25 = 0.680375
    np.testing.assert_allclose(out.scores, [(6 / 8 * 5 / 7 * 4 / 6 * 3 / 5) ** 0.25, 1.0])
    direct = sacrebleu.corpus_bleu(["東京都の天気です"], [["東京都の天気"]], tokenize="char")
    assert out.scores[0] == pytest.approx(direct.score / 100)


@pytest.mark.skipif(not text_overlap.mecab_available(), reason="MeCab not installed ([ja])")
def test_jp_bleu_uses_mecab_when_installed():
    scorer = build_scorer("jp_bleu")
    assert scorer.tokenizer_used == "ja-mecab"
    gold = "JEDirect iPad 9.7インチ (2018/2017 第6/5世代用) ケース PUレザー 三つ折スタンド"
    hyp = "JEDirect iPad 9.7インチ ケース PUレザー"
    direct = sacrebleu.corpus_bleu([hyp], [[gold]], lowercase=True, tokenize="ja-mecab")
    assert scorer([""], [hyp], [gold]).scores[0] == pytest.approx(direct.score / 100)


# --- robustness ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rouge_l", "bleu4", "jp_bleu"])
def test_long_output_is_cut_to_5000_characters(name):
    # Official ShopBench: the response's first 5000 characters are parsed (then stripped).
    ref = "a reference sentence here"
    long_out = run(name, [ref + " " * (5000 - len(ref)) + "tail words " * 9000], [ref])
    assert long_out.scores[0] == pytest.approx(run(name, [ref], [ref]).scores[0])
    assert not long_out.parse_failed[0]


@pytest.mark.parametrize("name", ["rouge_l", "bleu4", "jp_bleu"])
def test_junk_outputs_score_zero_and_never_raise(name):
    out = run(name, JUNK_OUTPUTS, ["a reference sentence here"] * len(JUNK_OUTPUTS))
    np.testing.assert_array_equal(out.scores, 0.0)
    assert out.parse_failed.all()
