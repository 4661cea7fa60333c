"""Embedding-similarity scorers: the maths with a fake embedder (exact, instant), then the
bundled models (one load per module)."""

from __future__ import annotations

import numpy as np
import pytest

from common.rewards.embedding_sim import MultilingualSimilarity, SentenceSimilarity
from common.rewards.registry import build_scorer


class FakeEmbedder:
    """Looks texts up in a table of unit vectors and counts encode calls."""

    table = {
        "x": [1.0, 0.0],
        "y": [0.0, 1.0],
        "-x": [-1.0, 0.0],
        "diag": [0.6, 0.8],
    }

    def __init__(self):
        self.calls: list[list[str]] = []

    def encode(self, texts, **_):
        self.calls.append(list(texts))
        return np.array([self.table[t] for t in texts]).reshape(len(texts), 2)


class FakeSim(MultilingualSimilarity):
    def _load(self, model):
        return FakeEmbedder()


def test_maths_with_fake_embedder():
    scorer = FakeSim()
    out = scorer(
        [""] * 6,
        ["x", "x", "x", "diag", "", None],
        ["x", "-x", ["x", "y"], ["x", "diag", "-x"], "x", "y"],
    )
    # cos(x, x) = 1; cos(x, -x) = -1 -> floored to 0; mean(cos(x,x), cos(x,y)) = (1+0)/2
    # diag: mean(0.6, 1.0, -0.6) = 1.0/3; empty and None -> 0, parse failed, never encoded
    np.testing.assert_allclose(out.scores, [1.0, 0.0, 0.5, 1 / 3, 0.0, 0.0])
    np.testing.assert_array_equal(out.parse_failed, [0, 0, 0, 0, 1, 1])
    # Two encode calls for the whole batch: 4 outputs, then the 4 distinct references
    # among the 1+1+2+3 given.
    assert [len(c) for c in scorer.embedder.calls] == [4, 4]


def test_shared_reference_encoded_once():
    # Several samples of one prompt share its reference (policy-gradient batches).
    scorer = FakeSim()
    out = scorer([""] * 3, ["x", "y", "diag"], ["x"] * 3)
    np.testing.assert_allclose(out.scores, [1.0, 0.0, 0.6])
    assert scorer.embedder.calls[1] == ["x"]


def test_all_failed_batch_never_encodes():
    scorer = FakeSim()
    out = scorer(["", ""], ["", "\x00"], ["x", "x"])
    assert out.parse_failed.all() and not scorer.embedder.calls


def test_long_output_is_cut_to_5000_characters():
    # Official ShopBench: the response's first 5000 characters are scored, not refused.
    scorer = FakeSim()
    scorer.embedder.table = {**FakeEmbedder.table, "x" * 5000: [1.0, 0.0]}
    out = scorer([""], ["x" * 5000 + "y" * 100_000], ["x"])
    assert out.scores[0] == pytest.approx(1.0) and not out.parse_failed[0]


@pytest.fixture(scope="module")
def sent_sim():
    # exact fp32 maths here; bf16 (the "auto" default on bf16 CPUs) is held to its stated
    # tolerance in test_bf16_scores.py
    return build_scorer("sent_sim", dtype="float32")


@pytest.fixture(scope="module")
def multilingual_sim():
    return build_scorer("multilingual_sim")


def test_sent_sim_matches_minilm_cosine(sent_sim):
    assert isinstance(sent_sim, SentenceSimilarity)
    model = sent_sim.embedder
    out_text, refs = "a red running shoe", ["crimson sneaker", "a bag of rice"]
    emb = model.encode([out_text, *refs], normalize_embeddings=True)
    cos = emb[1:] @ emb[0]
    expected = max(0.0, float(cos.mean()))
    got = sent_sim([""], [out_text], [refs])
    assert got.scores[0] == pytest.approx(expected, abs=1e-5)
    assert cos[0] > cos[1]  # the metric ranks the paraphrase above the unrelated text


def test_sent_sim_batch_equals_single(sent_sim):
    outputs = ["\nA watch band straps a watch to the wrist.", "Toggle switches", "", "cats"]
    golds = [
        "A watch band is a bracelet that straps a wristwatch onto the wrist.",
        "A toggle switch is an electric switch operated by a lever.",
        "anything",
        ["dogs", "kittens"],
    ]
    batch = sent_sim([""] * 4, outputs, golds)
    single = [sent_sim([""], [o], [g]).scores[0] for o, g in zip(outputs, golds, strict=True)]
    np.testing.assert_allclose(batch.scores, single, atol=1e-5)
    assert batch.scores[0] > 0.7 and batch.scores[2] == 0.0 and batch.parse_failed[2]
    assert ((batch.scores >= 0) & (batch.scores <= 1)).all()


def test_sent_sim_identical_text_is_one(sent_sim):
    text = "Handbags are bags carried close to the body."
    assert sent_sim([""], [text], [text]).scores[0] == pytest.approx(1.0, abs=1e-5)


def test_multilingual_sim_crosses_languages(multilingual_sim):
    out = multilingual_sim(
        [""] * 3,
        ["東京の天気", "the weather in Tokyo", "cepillo de dientes eléctrico"],
        ["Tokyo weather"] * 3,
    )
    assert out.scores[1] > out.scores[2] and out.scores[0] > out.scores[2]
    assert ((out.scores >= 0) & (out.scores <= 1)).all() and not out.parse_failed.any()


def test_multilingual_sim_matches_embedder(multilingual_sim):
    emb = multilingual_sim.embedder.encode(["Casque de gaming", "Gaming headset"])
    expected = max(0.0, float(emb[0] @ emb[1]))
    got = multilingual_sim([""], ["Casque de gaming"], ["Gaming headset"]).scores[0]
    assert got == pytest.approx(expected, abs=1e-5)
