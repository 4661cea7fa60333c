"""Sentence splitting: NLTK's Punkt English from the bundled data, nupunkt only as fallback.

The expected splits are NLTK's ``sent_tokenize`` output (NLTK 3.9+, punkt_tab English), the
splitter the official ALCE eval.py uses; nupunkt keeps "No. 1" and "e.g." together, NLTK does not.
"""

from __future__ import annotations

import warnings

import nltk
import pytest

from common.text import sentences
from common.text.sentences import PUNKT_ENGLISH_DIR, ensure_punkt, split_sentences

# (text, NLTK's split). "No" and "e.g"/"i.e" are not English Punkt abbreviations, so NLTK breaks
# after them; "Mr", "Dr", "U.S", "Jan" are, so it does not; "…" is not a sentence end for NLTK.
NLTK_SPLITS = [
    (
        "The song reached No. 1 on the Billboard Hot 100. It stayed there for weeks.",
        ["The song reached No.", "1 on the Billboard Hot 100.", "It stayed there for weeks."],
    ),
    (
        "Some fruits, e.g. apples and pears, grow in cold climates. Others do not.",
        ["Some fruits, e.g.", "apples and pears, grow in cold climates.", "Others do not."],
    ),
    ("He waited… Then he left. The end…", ["He waited… Then he left.", "The end…"]),
    (
        "The U.S. Army was founded in 1775. Dr. Smith agreed.",
        ["The U.S. Army was founded in 1775.", "Dr. Smith agreed."],
    ),
    (
        "Hello Mr. Smith, how are you doing today? The weather is great, and Python is "
        "awesome. The sky is pinkish-blue. You shouldn't eat cardboard.",
        [
            "Hello Mr. Smith, how are you doing today?",
            "The weather is great, and Python is awesome.",
            "The sky is pinkish-blue.",
            "You shouldn't eat cardboard.",
        ],
    ),
    (
        "It was released on Jan. 5, 1999. It sold well.",
        ["It was released on Jan. 5, 1999.", "It sold well."],
    ),
    ("", []),
]


def test_bundled_punkt_files_present():
    names = sorted(p.name for p in PUNKT_ENGLISH_DIR.iterdir())
    assert names == [
        "abbrev_types.txt",
        "collocations.tab",
        "ortho_context.tab",
        "sent_starters.txt",
    ]
    abbrevs = (PUNKT_ENGLISH_DIR / "abbrev_types.txt").read_text(encoding="utf-8").split("\n")
    assert {"mr", "dr", "u.s", "jan"} <= set(abbrevs) and "no" not in abbrevs


def test_ensure_punkt_puts_bundled_dir_on_nltk_path():
    assert ensure_punkt() is True
    assert str(sentences.NLTK_DATA_DIR) in nltk.data.path
    found = nltk.data.find("tokenizers/punkt_tab/english/")
    assert found is not None


@pytest.mark.parametrize(("text", "expected"), NLTK_SPLITS)
def test_split_sentences_equals_nltk_punkt(text, expected):
    assert split_sentences(text) == expected
    assert split_sentences(text) == nltk.sent_tokenize(text)


def test_nupunkt_fallback_warns_and_differs(monkeypatch):
    monkeypatch.setattr(sentences, "ensure_punkt", lambda: False)
    sentences._warn_fallback.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = split_sentences(NLTK_SPLITS[0][0])
    assert any("nupunkt" in str(w.message) for w in caught)
    # nupunkt keeps "No. 1" inside one sentence: exactly why it is only the fallback.
    assert got == ["The song reached No. 1 on the Billboard Hot 100.", "It stayed there for weeks."]
    sentences._warn_fallback.cache_clear()
