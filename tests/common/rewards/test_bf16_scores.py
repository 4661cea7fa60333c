"""Reward models and embedding metrics run in bf16 only where their scores stay within a
stated tolerance of fp32 (the tolerances are the scorers' own constants)."""

import numpy as np
import pytest

from common.rewards.embedding_sim import SentenceSimilarity
from common.rewards.reward_models import LogLikRM

OUTPUTS = [
    "These trail running shoes have a grippy sole and weigh 250 grams.",
    "The answer is B, because the charger supports USB-C power delivery.",
    "A stainless steel water bottle that keeps drinks cold for 24 hours.",
    "I would recommend the wireless earbuds with active noise cancelling.",
    "Paris is the capital of France.",
    "Le produit est livré en deux jours ouvrés.",
]
GOLDS = [
    "Lightweight trail shoes with a sticky rubber outsole.",
    "B",
    "Insulated bottle, 24 h cold, 12 h hot.",
    "Noise-cancelling Bluetooth earbuds.",
    "The capital of France is Paris.",
    "Livraison en 48 heures.",
]


def test_sentence_similarity_bf16_is_within_tolerance_of_fp32():
    fp32 = SentenceSimilarity(dtype="float32")(["q"] * 6, OUTPUTS, GOLDS)
    bf16 = SentenceSimilarity(dtype="bfloat16")(["q"] * 6, OUTPUTS, GOLDS)
    assert fp32.scores.min() >= 0 and fp32.scores.max() > 0.3  # real similarities, not zeros
    assert not np.array_equal(fp32.scores, bf16.scores)  # it did run in bf16
    tol = SentenceSimilarity.BF16_TOLERANCE
    assert np.abs(fp32.scores - bf16.scores).max() <= tol


def test_auto_dtype_follows_the_run_precision(monkeypatch):
    import common.models.precision as precision

    monkeypatch.setattr(precision, "resolve_precision", lambda p, device=None: "fp32")
    assert precision.dtype_name("auto") == "float32"
    monkeypatch.setattr(precision, "resolve_precision", lambda p, device=None: "bf16")
    assert precision.dtype_name("auto") == "bfloat16"
    assert precision.dtype_name("float32") == "float32"


@pytest.mark.slow
def test_loglik_rm_bf16_is_within_tolerance_of_fp32():
    """The embedded 135M policy as a likelihood judge: exp(mean log-prob) per response."""
    prompts = ["Describe the product."] * len(OUTPUTS)
    fp32 = LogLikRM("default", dtype="float32")(prompts, OUTPUTS, GOLDS).scores
    bf16 = LogLikRM("default", dtype="bfloat16")(prompts, OUTPUTS, GOLDS).scores
    assert fp32.max() > 0.01
    assert not np.array_equal(fp32, bf16)
    assert (np.abs(fp32 - bf16) <= LogLikRM.BF16_RTOL * fp32).all()
    # the ranking a best-of-n or a bandit reads from the scores is unchanged
    assert list(np.argsort(fp32)) == list(np.argsort(bf16))
