"""ALCE metrics against hand-counted values, with a stub NLI so the citation rules are exact."""

from __future__ import annotations

import numpy as np
import pytest

from common.rewards.alce import (
    ALCECitationF1,
    ALCECitationPrecision,
    ALCECitationRecall,
    ALCEClaimRecall,
    ALCEEMRecall,
    normalize_answer,
    remove_citations,
    split_sentences,
)
from common.rewards.nli import NLIScorer
from common.rewards.registry import build_scorer


class SubstringNLI(NLIScorer):
    """Entailed when every " and "-separated part of the hypothesis (final period dropped) is
    a substring of the premise: one doc alone cannot entail "X and Y" when X and Y are in two
    docs, which is what the precision rule needs."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def probs(self, premises, hypotheses):
        self.calls.append(len(premises))
        return np.array(
            [
                float(all(part in p for part in h.rstrip(".").split(" and ")))
                for p, h in zip(premises, hypotheses, strict=True)
            ]
        )


DOCS = [
    {"title": "A", "text": "Paris is the capital of France."},  # [1]
    {"title": "B", "text": "Berlin is in Germany."},  # [2]
    {"title": "C", "text": "Rome is old."},  # [3]
    {"title": "D", "text": "Berlin is in Germany. Madrid is sunny."},  # [4]
]
GOLD = {"docs": DOCS}


@pytest.fixture
def nli() -> SubstringNLI:
    return SubstringNLI()


def cite(nli, output, **kw):
    rec = ALCECitationRecall(nli=nli, **kw)(["q"], [output], [GOLD])
    prec = ALCECitationPrecision(nli=nli, **kw)(["q"], [output], [GOLD])
    return rec.scores[0], prec.scores[0]


def test_normalize_and_remove_citations():
    assert normalize_answer("The  Eiffel-Tower, a TOWER!") == "eiffeltower tower"
    assert remove_citations("It is old [1][2].") == "It is old."
    assert remove_citations("It is old [1 | 2].") == "It is old 2."  # ALCE's own quirk


def test_redundant_second_citation_is_irrelevant(nli):
    # supported by [1]+[2]; [1] alone entails (a fails to hold for [1] -> relevant);
    # [2] alone does not, and without [2] the rest ([1]) still entails -> irrelevant.
    # recall 1/1, precision 1/2
    assert cite(nli, "Paris is the capital of France [1][2].") == (1.0, 0.5)


def test_jointly_needed_citations_are_both_relevant(nli):
    # neither doc alone entails "P and B", neither remainder does either -> both relevant
    out = "Paris is the capital of France and Berlin is in Germany [1][2]."
    assert cite(nli, out) == (1.0, 1.0)


def test_each_citation_alone_sufficient_is_relevant(nli):
    # [2] and [4] each entail the sentence alone: condition (a) fails -> both relevant
    assert cite(nli, "Berlin is in Germany [2][4].") == (1.0, 1.0)


def test_only_first_three_citations_count(nli):
    # [1][2][4][3] -> [1][2][4]; Rome is only in [3] -> unsupported; 3 citations counted,
    # none relevant: recall 0/1, precision 0/3
    assert cite(nli, "Rome is old [1][2][4][3].") == (0.0, 0.0)
    # with at most 4 citations [3] counts: supported; [3] alone entails -> relevant,
    # [1],[2],[4] fail alone and the rest (containing [3]) entails -> irrelevant: 1/4
    assert cite(nli, "Rome is old [1][2][4][3].", at_most_citations=4) == (1.0, 0.25)


def test_out_of_range_citation(nli):
    # eval.py: any id >= len(docs) (7 > 4 docs) rejects the sentence, nothing counted
    assert cite(nli, "Rome is old [3][7].") == (0.0, 0.0)
    # eval.py: "[0]" parses to index -1, the LAST doc (D), and is not rejected: D and C
    # jointly entail -> supported; D alone fails and C still entails -> irrelevant; C alone
    # entails -> relevant: recall 1, precision 1/2.
    assert cite(nli, "Rome is old [0][3].") == (1.0, 0.5)
    assert cite(nli, "Berlin is in Germany [0].") == (1.0, 1.0)
    # ignore mode drops the bad id: [3] alone supports it, 1 relevant of 1
    assert cite(nli, "Rome is old [3][7].", out_of_range="ignore") == (1.0, 1.0)


def test_mixed_output_by_hand(nli):
    out = (
        "Paris is the capital of France [1][2]. "  # supported, 2 cited, 1 relevant
        "Paris is the capital of France and Berlin is in Germany [1][2]. "  # sup, 2, 2
        "Rome is old [1][2][4][3]. "  # unsupported, 3 cited, 0 relevant
        "Rome is old [3][7]. "  # unsupported (out of range), 0 cited
        "Rome is old."  # no citation: unsupported, 0 cited
    )
    rec, prec = cite(nli, out)
    assert rec == pytest.approx(2 / 5)
    assert prec == pytest.approx(3 / 7)  # (1 + 2 + 0) / (2 + 2 + 3)
    f1 = ALCECitationF1(nli=nli)(["q"], [out], [GOLD]).scores[0]
    assert f1 == pytest.approx(2 * 0.4 * (3 / 7) / (0.4 + 3 / 7))  # = 2.4 / 5.8


def test_citation_batch_uses_few_nli_calls(nli):
    outs = ["Paris is the capital of France [1][2].", "Rome is old [3].", "Rome is old."]
    res = ALCECitationRecall(nli=nli)(["q"] * 3, outs, [GOLD] * 3)
    assert res.scores.tolist() == [1.0, 1.0, 0.0]
    assert len(nli.calls) <= 3  # joint, each-alone, remainder: one batched call each


def test_only_first_line_is_scored(nli):
    out = "Rome is old [3].\nParis is the capital of France [2]."
    assert cite(nli, out) == (1.0, 1.0)
    assert cite(nli, out, first_line_only=False) == (0.5, 0.5)


@pytest.mark.parametrize("bad", [None, "", "   \n ", 123])
def test_malformed_output_scores_zero(nli, bad):
    for cls in (ALCECitationRecall, ALCECitationPrecision, ALCECitationF1, ALCEClaimRecall):
        res = cls(nli=nli)(["q"], [bad], [{**GOLD, "claims": ["x"]}])
        assert res.scores.tolist() == [0.0] and res.parse_failed.tolist() == [True]
    res = ALCEEMRecall()(["q"], [bad], [{"qa_pairs": [{"short_answers": ["x"]}]}])
    assert res.scores.tolist() == [0.0] and res.parse_failed.tolist() == [True]


def test_garbage_and_very_long_outputs(nli):
    res = ALCECitationF1(nli=nli)(
        ["q", "q"], ["[[[ ]]] ???", "Rome is old [3]. " * 500], [GOLD] * 2
    )
    assert res.scores.tolist() == [0.0, 1.0]
    assert res.parse_failed.tolist() == [False, False]


def test_em_recall():
    gold = {
        "qa_pairs": [
            {"short_answers": ["The Eiffel Tower"]},  # "eiffel tower" in output -> hit
            {"short_answers": ["1887", "in 1889"]},  # second alias "1889" -> hit
            {"short_answers": ["Gustave Eiffel"]},  # absent -> miss
        ]
    }
    res = ALCEEMRecall()(["q"], ["Eiffel tower, finished in 1889 [1]."], [gold])
    assert res.scores[0] == pytest.approx(2 / 3)


def test_em_recall_removes_citations_before_matching():
    # without removing "[2]", normalization would leave "it is paris2", which contains "2"
    gold = {"qa_pairs": [{"short_answers": ["2"]}, {"short_answers": ["Paris"]}]}
    assert ALCEEMRecall()(["q"], ["It is Paris[2]."], [gold]).scores[0] == 0.5


def test_claim_recall(nli):
    gold = {"claims": ["Paris is the capital of France", "Berlin is in Germany", "Rome is old"]}
    out = "Paris is the capital of France [1]. Berlin is in Germany [2]."
    res = ALCEClaimRecall(nli=nli)(["q"], [out], [gold])
    assert res.scores[0] == pytest.approx(2 / 3)


def test_registered_and_bad_gold(nli):
    import common.rewards.alce  # noqa: F401  (registration side effect)

    scorer = build_scorer("alce_citation_f1", nli=nli)
    assert scorer.name == "alce_citation_f1"
    with pytest.raises(ValueError, match="docs"):
        scorer(["q"], ["Rome is old [1]."], [{}])
    # closed book (no docs shown): every citation is out of range, nothing is supported
    res = scorer(["q"], ["Rome is old [1]."], [{"docs": []}])
    assert res.scores.tolist() == [0.0] and not res.parse_failed.any()


# ---- eval.py rules added for issue 14 ------------------------------------------------------


def test_im_end_removed_after_the_first_line_cut(nli):
    # eval.py: output.strip().split("\n")[0], then .replace("<|im_end|>", "")
    assert cite(nli, "Rome is old [3].<|im_end|>") == (1.0, 1.0)
    gold = {"qa_pairs": [{"short_answers": ["Rome"]}]}
    assert ALCEEMRecall()(["q"], ["<|im_end|>Rome [1]<|im_end|>\nx"], [gold]).scores[0] == 1.0
    # nothing but the marker: no sentence, scores 0 as a parse failure
    res = ALCECitationRecall(nli=nli)(["q"], ["<|im_end|>\nRome is old [3]."], [GOLD])
    assert res.scores.tolist() == [0.0] and res.parse_failed.tolist() == [True]


def test_sentences_are_nltk_punkt():
    # eval.py splits with nltk.sent_tokenize: "No. 1" and "e.g." end sentences there.
    text = "It hit No. 1 in 1990 [1]. Some, e.g. rock bands, toured [2]."
    assert split_sentences(text) == [
        "It hit No.",
        "1 in 1990 [1].",
        "Some, e.g.",
        "rock bands, toured [2].",
    ]


def test_citation_average_skips_outputs_with_no_sentence(nli):
    # eval.py: an output with no sentence is skipped (``continue``) by the citation averages;
    # the per-sample reward stays 0. Rows: supported, half supported, empty, im_end only.
    outs = [
        "Rome is old [3].",
        "Rome is old [3]. Rome is old.",
        "",
        "<|im_end|>",
    ]
    for cls, expected_rows, official in (
        (ALCECitationRecall, [1.0, 0.5, 0.0, 0.0], (1.0 + 0.5) / 2),
        (ALCECitationPrecision, [1.0, 1.0, 0.0, 0.0], 1.0),
    ):
        scorer = cls(nli=nli)
        out = scorer(["q"] * 4, outs, [GOLD] * 4)
        assert out.scores.tolist() == expected_rows
        assert scorer.aggregation == "mean_scored"
        assert out.counts["scored"].tolist() == [1, 1, 0, 0]
        assert scorer.aggregate(out) == pytest.approx(official)  # not the row mean
        assert out.mean == pytest.approx(sum(expected_rows) / 4)


def test_citation_average_in_reported_eval(nli):
    # The run's evaluation (RewardSet.aggregate -> summary.json) reports eval.py's average.
    from common.data.types import Example
    from common.rewards.reward_set import RewardSet

    rs = RewardSet(
        ["rec"], routing="all", options={"rec": {"scorer": "alce_citation_rec", "nli": nli}}
    )
    examples = [Example(prompt="q", gold=GOLD, metric="x")] * 3
    table = rs.score(examples, ["Rome is old [3].", "Rome is old.", ""])
    assert rs.aggregate(table)["rec"] == pytest.approx(0.5)  # (1 + 0) / 2, empty skipped


def test_junk_after_the_first_line_does_not_zero_the_row(nli):
    out = "Rome is old [3].\n\x00\udcff" + "x" * 100_000
    assert cite(nli, out) == (1.0, 1.0)
    gold = {"qa_pairs": [{"short_answers": ["Rome"]}]}
    assert ALCEEMRecall()(["q"], [out], [gold]).scores[0] == 1.0
    # junk IN the first line still zeroes it
    assert cite(nli, "Rome is old [3].\x00") == (0.0, 0.0)


def test_str_hit():
    gold = {"qa_pairs": [{"short_answers": ["Paris"]}, {"short_answers": ["1889"]}]}
    scorer = build_scorer("alce_str_hit")
    res = scorer(["q"] * 3, ["Paris in 1889 [1].", "Paris [1].", ""], [gold] * 3)
    # eval.py: STR-HIT = 1 when every pair's short answer is present (STR-EM == 1)
    assert res.scores.tolist() == [1.0, 0.0, 0.0]
    assert scorer.aggregate(res) == pytest.approx(1 / 3)  # averaged over every row


def test_an_empty_output_is_reported_by_eval_py_rule_and_rewarded_zero():
    # eval.py: exact_presence(["The"], "") -> normalize("The") == "" is in "" -> found. The
    # reported STR-EM follows it; the training reward keeps the junk guard's 0.
    from common.evaluation.stats import bootstrap_score

    gold = {"qa_pairs": [{"short_answers": ["The"]}, {"short_answers": ["Rome"]}]}
    for cls, official in ((ALCEEMRecall, 0.5), (build_scorer("alce_str_hit").__class__, 0.0)):
        scorer = cls()
        out = scorer(["q"] * 3, ["", "<|im_end|>", "Rome [1]."], [gold] * 3)
        assert out.scores.tolist() == [0.0, 0.0, 1.0]
        assert out.parse_failed.tolist() == [True, True, False]
        assert out.counts["reported"].tolist() == [official, official, 1.0]
        assert scorer.aggregation == "mean_reported"
        assert scorer.aggregate(out) == pytest.approx((2 * official + 1.0) / 3)
        assert bootstrap_score(out, scorer.aggregation).value == pytest.approx(
            scorer.aggregate(out)
        )
    only_empty = {"qa_pairs": [{"short_answers": ["the", "Paris"]}]}
    out = ALCEEMRecall()(["q"], [""], [only_empty])
    assert (out.scores[0], ALCEEMRecall().aggregate(out)) == (0.0, 1.0)  # eval.py scores 1
