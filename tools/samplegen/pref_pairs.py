"""Generator of the (prompt, chosen, rejected) pairs the project's preference reward model
(:class:`common.rewards.pref_rm.PreferenceRM`) trains on; the runtime reads the bundled
output (``common/data/samples/pref_pairs.jsonl.gz``, written by
``python -m tools.samplegen.make_samples``) through :mod:`common.rewards.pref_pairs`.

No preference data set or reward model can be downloaded on the development machines, so the
pairs are made from the bundled instruction-following prompts
(:mod:`tools.samplegen.instruct`, the prompts of ``instruct_sample.jsonl``):

- chosen: a templated answer that does what the prompt asks, two phrasings per prompt;
- rejected: one of each kind listed in :mod:`common.rewards.pref_pairs` (the reader, where
  users look them up) per prompt.

Each rejected answer is paired with one of the two chosen ones. Everything is drawn from one
``random.Random(seed)``, so the pairs are a pure function of ``(seed, n_prompts)``.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import sys
from pathlib import Path

from common.rewards.pref_pairs import REJECT_KINDS, PrefPair
from tools.samplegen.instruct import InstructItem, good_response, instruct_items

FILLERS = (
    "OK.",
    "Sure!",
    "Yes.",
    "I can help with that.",
    "Here is the answer:",
    "I don't know.",
    "Thank you!",
    "Good question.",
    "...",
    "Let me think about it.",
)
GENERIC = (
    "It depends on what you need. There are many options out there, so do some research and "
    "pick the one that is right for you.",
    "That is a great question. Everyone has different preferences, so it is hard to say. I "
    "hope this helps!",
    "In general, you should think carefully about this and make a good decision. There are "
    "pros and cons to everything.",
    "Sure, here is some information. This is an important topic and many people ask about it. "
    "Let me know if you have any other questions.",
)
_LIST_MARK = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def truncate(text: str, rng: random.Random) -> str:
    """The first 20-45% of the words (at least 2), cut mid-sentence with no end mark."""
    words = text.split()
    keep = max(2, int(len(words) * rng.uniform(0.2, 0.45)))
    return " ".join(words[:keep]).rstrip(".!?:,;")


def repeat_loop(text: str, rng: random.Random) -> str:
    """Degenerate decoding: a few words of the answer, then a phrase or a whole sentence
    repeated, as small LMs do when they get stuck."""
    words = text.split()
    if rng.random() < 0.5:
        start = rng.randrange(max(1, len(words) - 4))
        phrase = " ".join(words[start : start + rng.randint(1, 3)])
        return " ".join(words[:start] + [phrase] * rng.randint(6, 14))
    first = _SENTENCE.split(text.strip())[0]
    return " ".join([first] * rng.randint(3, 6))


def wrong_format(item: InstructItem, good: str, rng: random.Random) -> str:
    """The content of ``good`` in a shape the prompt did not ask for."""
    lines = [ln for ln in good.split("\n") if ln.strip()]
    if item.category in ("list", "how_to"):  # a run-on paragraph instead of a list
        items = [_LIST_MARK.sub("", ln) for ln in lines if _LIST_MARK.match(ln)]
        return " ".join(items)
    if item.category == "email":  # the body alone: no subject, greeting or sign-off
        return max(lines, key=len)
    if item.category == "summary":  # every review sentence as a bullet: no summarizing
        review = str(item.slots["review"])
        return "\n".join(f"- {s}" for s in _SENTENCE.split(review))
    if item.category == "comparison":  # only one side of the comparison
        return _SENTENCE.split(good)[rng.choice((0, 1))]
    # product description as bare keyword bullets
    s = item.slots
    return "\n".join(f"- {x}" for x in (s["product"], s["name"], s["audience"]))


def generate_pref_pairs(
    seed: int = 0, n_prompts: int | None = None, prompt_seed: int = 0
) -> list[PrefPair]:
    """``8 * n_prompts`` pairs (one per rejected kind and prompt), deterministic in ``seed``.

    Args:
        seed: draws the phrasings and corruptions.
        n_prompts: use the first ``n_prompts`` prompts of each category in turn (None: all
            150 prompts of the bundled sample).
        prompt_seed: the seed of the prompt set; 0 is the bundled ``instruct_sample.jsonl``.
    """
    items = instruct_items(prompt_seed)
    if n_prompts is not None:
        by_cat: dict[str, list[InstructItem]] = {}
        for it in items:
            by_cat.setdefault(it.category, []).append(it)
        # interleave categories so a small subset still covers every category
        rows = [it for group in zip(*by_cat.values(), strict=False) for it in group]
        items = rows[:n_prompts]
    if len(items) < 2:
        raise ValueError(f"need at least 2 prompts to make off-topic answers, got {len(items)}")
    rng = random.Random(seed)
    chosen = [(good_response(it, rng), good_response(it, rng)) for it in items]
    pairs: list[PrefPair] = []
    for g, item in enumerate(items):
        same = [j for j, it in enumerate(items) if it.category == item.category and j != g]
        other = [j for j, it in enumerate(items) if it.category != item.category]
        for k, kind in enumerate(REJECT_KINDS):
            good = chosen[g][k % 2]
            if kind == "off_topic_same":
                bad = chosen[rng.choice(same or other)][0]
            elif kind == "off_topic":
                bad = chosen[rng.choice(other or same)][0]
            elif kind == "truncated":
                bad = truncate(chosen[g][1 - k % 2], rng)
            elif kind == "repeated":
                bad = repeat_loop(chosen[g][1 - k % 2], rng)
            elif kind == "wrong_format":
                bad = wrong_format(item, chosen[g][1 - k % 2], rng)
            elif kind == "empty":
                bad = rng.choice(FILLERS)
            elif kind == "echo":
                bad = rng.choice(("", "Sure! ", "You asked: ")) + item.prompt
            else:
                bad = rng.choice(GENERIC)
            pairs.append(PrefPair(item.prompt, good, bad, kind, item.category, g))
    return pairs


def pref_pair_rows(seed: int = 0) -> list[dict]:
    """The bundled file's rows: :func:`generate_pref_pairs` over all prompts, one JSON
    object per pair with the :class:`common.rewards.pref_pairs.PrefPair` fields."""
    return [dataclasses.asdict(pair) for pair in generate_pref_pairs(seed)]


def main(argv: list[str] | None = None) -> int:
    """Write a pairs file for :class:`common.rewards.pref_rm.PreferenceRM` (``pairs_file=``),
    e.g. with another seed than the bundled one's (0)."""
    from tools.samplegen.jsonl_gz import write_jsonl_gz

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="a .jsonl.gz file")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl_gz(args.out, pref_pair_rows(args.seed))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
