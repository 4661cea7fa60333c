"""The project-trained preference RM: features, training (a small head on 30
prompts, ~10 s), caching, saving/loading, scoring contract; the default recipe is slow."""

from __future__ import annotations

import numpy as np
import pytest

from common.rewards import build_scorer
from common.rewards.pref_pairs import REJECT_KINDS
from common.rewards.pref_rm import N_CHEAP, PreferenceRM, cheap_features

EMAIL_PROMPT = (
    "Write a short email to a customer named Laura to apologise that their keyboard order "
    "will arrive 2 days late."
)
# written by hand, not by the templates the RM was trained on
EMAIL_REPLY = (
    "Subject: Sorry, your keyboard is running late\n\nHi Laura,\n\nI wanted to let you know "
    "that the keyboard you ordered is running two days behind schedule. We are very sorry for "
    "the wait. Your order is packed and will leave our warehouse tomorrow.\n\nThanks for your "
    "patience,\nJordan"
)
TENT_PROMPT = "How do I set up a two-person dome tent? Give clear steps."
TENT_REPLY = (
    "Sure! Here is what to do:\n1. Find flat ground and clear away rocks.\n2. Lay out the "
    "groundsheet and put the tent on top.\n3. Push the poles through the sleeves and clip "
    "them in.\n4. Peg down the corners and throw the rainfly over the top."
)


def test_cheap_features_by_hand():
    f = cheap_features("List 3 tips for a tent.", "1. Dry it.\n2. Fold it.\n3. Store it.")
    assert len(f) == N_CHEAP and all(0.0 <= x <= 1.0 for x in f)
    assert f[1] == 1.0  # fewer than 10 words
    assert f[6] == 1.0 and f[7] == 1.0  # ends cleanly; every line a list line
    assert f[12] == 1.0 and f[13] == 0.0  # the prompt wants a list, not an email
    email = cheap_features(EMAIL_PROMPT, EMAIL_REPLY)
    assert email[9] == 1.0 and email[15] == 1.0  # subject, greeting and sign-off
    loop = cheap_features("Describe a kettle.", "the kettle " * 20)
    assert loop[5] > 0.8 and loop[6] == 0.0  # repeated trigrams; no end mark


@pytest.fixture(scope="module")
def small_rm(tmp_path_factory) -> PreferenceRM:
    cache = tmp_path_factory.mktemp("pref_rm_cache")
    return PreferenceRM(n_prompts=30, epochs=150, cache_dir=cache)


def test_small_rm_trains_caches_and_beats_chance(small_rm):
    # 30 prompts -> 240 pairs; the 6 held-out prompts -> 48 pairs; chance is 0.5
    assert small_rm.heldout_accuracy >= 0.85, small_rm.heldout_by_kind
    assert set(small_rm.heldout_by_kind) == set(REJECT_KINDS)
    assert small_rm.path.exists() and small_rm.train_seconds > 0
    again = PreferenceRM(n_prompts=30, epochs=150, cache_dir=small_rm.path.parent)
    assert again.train_seconds == 0.0  # loaded from the cache
    np.testing.assert_array_equal(
        again.logits([EMAIL_PROMPT], [EMAIL_REPLY]), small_rm.logits([EMAIL_PROMPT], [EMAIL_REPLY])
    )


def test_scores_in_unit_interval_and_bad_outputs_flagged(small_rm):
    prompts = [EMAIL_PROMPT, TENT_PROMPT, EMAIL_PROMPT, TENT_PROMPT, EMAIL_PROMPT]
    outputs = [EMAIL_REPLY, TENT_REPLY, "", "   \n", None]
    out = small_rm(prompts, outputs, [None] * 5)  # prompts have no gold
    assert out.name == "pref_rm" and out.scores.shape == (5,)
    assert ((out.scores >= 0) & (out.scores <= 1)).all()
    assert out.parse_failed.tolist() == [False, False, True, True, True]
    assert out.scores[2:].tolist() == [0.0, 0.0, 0.0]
    assert small_rm([], [], []).scores.shape == (0,)


def test_hand_written_answers_beat_their_corruptions(small_rm):
    # off topic (the answers swapped), looping, an echo of the prompt and a filler
    prompts = [EMAIL_PROMPT, TENT_PROMPT]
    good = small_rm.logits(prompts, [EMAIL_REPLY, TENT_REPLY])
    for bad in (
        [TENT_REPLY, EMAIL_REPLY],
        ["Hi Laura, sorry sorry sorry sorry sorry sorry sorry sorry sorry"] * 2,
        prompts,
        ["Sure!", "Sure!"],
    ):
        assert (good > small_rm.logits(prompts, bad)).all(), bad


def test_save_and_load_from_model_dir(small_rm, tmp_path):
    path = small_rm.save(tmp_path / "head")
    assert path.name == "pref_rm.pt"
    loaded = build_scorer("pref_rm", model_dir=str(tmp_path / "head"))
    assert loaded.heldout_accuracy == small_rm.heldout_accuracy
    np.testing.assert_array_equal(
        loaded.logits([TENT_PROMPT], [TENT_REPLY]), small_rm.logits([TENT_PROMPT], [TENT_REPLY])
    )
    with pytest.raises(FileNotFoundError, match="pref_rm.pt"):
        PreferenceRM(model_dir=tmp_path / "nowhere")


@pytest.mark.slow
def test_default_recipe_accuracy(tmp_path):
    rm = PreferenceRM(cache_dir=tmp_path)  # 150 prompts, trained from scratch (~30 s)
    assert rm.heldout_accuracy >= 0.95, rm.heldout_by_kind
    assert min(rm.heldout_by_kind.values()) >= 0.85, rm.heldout_by_kind
