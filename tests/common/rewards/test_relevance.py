"""prompt_relevance: embedding cosine between prompt and response, gold-free."""

from __future__ import annotations

import numpy as np

from common.rewards import build_scorer
from common.rewards.relevance import embed_texts

PROMPT = "Explain step by step how to descale an electric kettle."


def test_on_topic_beats_off_topic_and_echo_scores_near_one():
    scorer = build_scorer("prompt_relevance")
    outputs = [
        "Fill the kettle with water and vinegar, boil it, let it sit, then rinse it well.",
        "Our quarterly sales grew thanks to the new marketing campaign in Spain.",
        PROMPT,  # the hack this arm is open to
        "",
    ]
    out = scorer([PROMPT] * 4, outputs, [None] * 4)
    assert out.scores.shape == (4,) and ((out.scores >= 0) & (out.scores <= 1)).all()
    assert out.scores[0] > out.scores[1] and out.scores[2] > 0.99
    assert out.parse_failed.tolist() == [False, False, False, True] and out.scores[3] == 0.0


def test_embed_texts_encodes_repeats_once_and_keeps_order():
    emb = embed_texts(["a kettle", "a tent", "a kettle"])
    assert emb.shape == (3, 384) and emb.dtype == np.float32
    np.testing.assert_array_equal(emb[0], emb[2])
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    assert embed_texts([]).shape == (0, 384)
