"""What the answers look like, beside what they score: length and repetition.

A policy can raise a score by degenerating: answers of a few words, or one phrase looped to
the token limit ("The art of the art of ..."), pass checks such as "no commas" while no
longer answering. Such a collapse shows here before any score flags it (results/laser_budget:
LoRA at lr 2e-3 looped in 105 of 106 dev answers while its accuracy table still rose).

distinct-n of an answer = |distinct word n-grams| / |word n-grams| (Li et al. 2016, "A
Diversity-Promoting Objective Function for Neural Conversation Models", there over a corpus;
here per answer, so a loop scores low whatever other answers say).
"""

from __future__ import annotations

from collections.abc import Sequence

N = 3  # word 3-grams: short enough for 40-word answers, long enough to skip "of the"
LOOP_BELOW = 0.5  # an answer with under half its 3-grams distinct repeats a phrase throughout
WARN_SHARE = 0.25  # looping answers from which a run or a study row is flagged


def distinct_ngrams(text: str, n: int = N) -> float:
    """Share of distinct word n-grams in ``text`` (1.0 when it has fewer than ``n`` words).

    >>> distinct_ngrams("a b c a b c")  # abc, bca, cab, abc
    0.75
    """
    words = text.split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 1.0


def answer_stats(texts: Sequence[str | None], n: int = N, loop_below: float = LOOP_BELOW) -> dict:
    """``{"n", "words", "distinct3", "looping"}`` of a set of answers (None counts as "").

    words: mean whitespace words an answer; distinct3: mean per-answer distinct-n; looping:
    the share of answers whose distinct-n is under ``loop_below``. Means are 0 without
    answers.
    """
    texts = [t or "" for t in texts]
    if not texts:
        return {"n": 0, "words": 0.0, "distinct3": 0.0, "looping": 0.0}
    distinct = [distinct_ngrams(t, n) for t in texts]
    return {
        "n": len(texts),
        "words": round(sum(len(t.split()) for t in texts) / len(texts), 1),
        "distinct3": round(sum(distinct) / len(texts), 3),
        "looping": round(sum(d < loop_below for d in distinct) / len(texts), 3),
    }


def looping_warning(stats: dict, share: float = WARN_SHARE) -> str | None:
    """A warning line when at least ``share`` of the answers loop, else None."""
    if stats.get("n") and stats["looping"] >= share:
        return (
            f"warning: {100 * stats['looping']:.0f} % of the answers repeat one phrase "
            f"(distinct-3 {stats['distinct3']:.2f}): the scores may reflect a degenerate policy"
        )
    return None
