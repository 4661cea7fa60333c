"""mauve_fluency: corpus MAUVE repeated per sample, the small-batch fallback, text prep."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("mauve")

from common.rewards.fluency import MauveFluency, prepare_text, reference_text  # noqa: E402

DISHES = ["bread", "pizza", "a cake", "cookies", "a pie", "muffins", "bagels", "a tart"]
STEPS = ["knead the dough", "mix the flour", "whisk the eggs", "melt the butter"]


def recipes(n: int, start: int = 0) -> list[str]:
    return [
        f"To make {DISHES[i % 8]}, you {STEPS[i % 3]} and bake it for {10 + 5 * i} minutes."
        for i in range(start, start + n)
    ]


@pytest.fixture(scope="module")
def scorer() -> MauveFluency:
    return MauveFluency(min_samples=10)


def test_prepare_text_and_reference():
    # question first, cut to 3 words, trailing punctuation stripped
    assert prepare_text("Some answer here!!", "Why?", max_words=3) == "Why? Some answer"
    assert reference_text("ref") == "ref"
    assert reference_text(["a", "b"]) == "a"
    assert reference_text({"answer": "eli5 answer"}) == "eli5 answer"
    assert reference_text({"annotations": [{"long_answer": "asqa"}]}) == "asqa"
    assert reference_text({"docs": []}) is None


def test_corpus_score_is_shared_and_ranks_distributions(scorer):
    refs = recipes(24)
    close = recipes(24, start=100)  # the same distribution, other texts
    far = [f"{i} {i * 7} qqq zzz {'x' * (i % 5)} 0x{i:04x}" for i in range(24)]
    good = scorer(["p"] * 24, close, refs)
    assert scorer.last_mode == "mauve"
    bad = scorer(["p"] * 24, far, refs)
    # one corpus value per batch, repeated for every sample
    assert np.unique(good.scores).size == 1 and np.unique(bad.scores).size == 1
    assert good.scores[0] > 0.9 and bad.scores[0] < 0.2
    assert not good.parse_failed.any()


def test_parse_failures_get_zero_and_are_left_out(scorer):
    refs = recipes(14)
    outs = recipes(12) + [None, "   "]
    res = scorer(["p"] * 14, outs, refs)
    assert res.parse_failed.tolist() == [False] * 12 + [True, True]
    assert res.scores[-2:].tolist() == [0.0, 0.0]
    assert np.unique(res.scores[:12]).size == 1 and res.scores[0] > 0


def test_small_batch_falls_back_to_cosine(scorer):
    refs = ["The cat sat on the mat.", "Paris is in France.", "Water boils at 100 C."]
    outs = ["The cat sat on the mat", "Bananas are yellow.", ""]
    res = scorer(["p"] * 3, outs, refs)
    assert scorer.last_mode == "cosine_fallback"
    emb = scorer._embed([prepare_text(o) for o in outs[:2]] + [prepare_text(r) for r in refs[:2]])
    # identical text (end punctuation stripped on both) -> cos 1; unrelated -> its cosine
    assert res.scores[0] == pytest.approx(1.0, abs=1e-5)
    assert res.scores[1] == pytest.approx(max(0.0, float(emb[1] @ emb[3])), abs=1e-5)
    assert res.scores[2] == 0.0 and res.parse_failed.tolist() == [False, False, True]


def test_all_outputs_malformed(scorer):
    res = scorer(["p"] * 2, [None, ""], ["a", "b"])
    assert res.scores.tolist() == [0.0, 0.0] and res.parse_failed.all()


def test_missing_mauve_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "mauve", None)
    with pytest.raises(ImportError, match="mauve-text"):
        MauveFluency()


def test_alce_text_preparation_first_line_no_citations_no_im_end(scorer):
    # ALCE eval.py feeds MAUVE the normalized output: first line, <|im_end|> and citation
    # marks removed, then question + " " + text, 100 words, trailing punctuation stripped.
    assert scorer._output_text("Bread is baked [1][2].<|im_end|>\nSecond line") == (
        "Bread is baked."
    )
    assert prepare_text("Bread is baked.", "How?") == "How? Bread is baked"
    assert scorer._output_text("<|im_end|>\nonly later") is None


def test_default_minilm_features_are_labelled_not_comparable(scorer):
    assert scorer.featurizer == "minilm" and not scorer.comparable_with_published


def test_official_featurizer_settings(monkeypatch):
    # featurizer="gpt2-large" hands the prepared TEXTS to mauve-text with ALCE's settings.
    import mauve

    seen = {}

    class Result:
        mauve = 0.42

    def fake(**kw):
        seen.update(kw)
        return Result()

    monkeypatch.setattr(mauve, "compute_mauve", fake)
    official = MauveFluency(featurizer="gpt2-large")
    assert official.comparable_with_published and official.embedder is None
    golds = [{"question": "How?", "answer": f"Bake it {i} times."} for i in range(12)]
    res = official(["p"] * 12, [f"You bake it [1] {i}!\nmore" for i in range(12)], golds)
    assert res.scores.tolist() == [0.42] * 12
    assert seen["featurize_model_name"] == "gpt2-large" and seen["max_text_length"] == 512
    assert seen["q_text"][0] == "How? You bake it 0" and seen["p_text"][0] == "How? Bake it 0 times"
