"""The (prompt, chosen, rejected) pairs the project's preference reward model
(:class:`common.rewards.pref_rm.PreferenceRM`) trains on, read from a bundled file.

No preference data set can be downloaded on the development machines, so the project
generates one at build time (``tools/samplegen/pref_pairs.py``, written by
``python -m tools.samplegen.make_samples`` into ``common/data/samples/pref_pairs.jsonl.gz``):
for each of the 150 prompts of ``instruct_sample.jsonl``, one pair per rejected kind below,
the chosen answer a templated one that does what the prompt asks (on topic, requested format,
30-90 words). Rejected kinds:

    ``off_topic_same``  a good answer to another prompt of the same category (right format,
                        wrong subject: the hardest kind),
    ``off_topic``       a good answer to a prompt of another category,
    ``truncated``       the chosen answer cut after 20-45% of its words,
    ``repeated``        degenerate looping: a phrase or a sentence repeated,
    ``wrong_format``    the content in the wrong shape (a paragraph instead of a list, an
                        email without subject, greeting and sign-off, one side of a
                        comparison...),
    ``empty``           a filler such as "Sure!" or "I don't know.",
    ``echo``            the prompt copied back,
    ``generic``         a vague answer that fits any prompt.

The runtime never generates pairs: it reads that file (or another one the tool wrote, e.g.
with another seed: ``python -m tools.samplegen.pref_pairs --seed 3 --out FILE``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from common.data.bundled import bundled_path
from common.data.errors import DataFormatError
from common.data.jsonl import iter_jsonl, require

PAIRS_FILE = "pref_pairs.jsonl.gz"  # in common/data/samples
REJECT_KINDS = (
    "off_topic_same",
    "off_topic",
    "truncated",
    "repeated",
    "wrong_format",
    "empty",
    "echo",
    "generic",
)


@dataclass(frozen=True)
class PrefPair:
    prompt: str
    chosen: str
    rejected: str
    kind: str  # how the rejected answer was made, for per-kind accuracy
    category: str
    group: int  # prompt index, so train/held-out splits never share a prompt


def read_pref_pairs(path: str | os.PathLike | None = None) -> list[PrefPair]:
    """Every pair of a pairs file (default: the bundled one), in file order.

    Raises:
        DataFormatError: a row misses a field or has the wrong type, or names a rejected
            kind outside :data:`REJECT_KINDS` (file and line in the message).
    """
    path = Path(path) if path is not None else bundled_path(PAIRS_FILE)
    pairs = []
    for line, row in iter_jsonl(path):
        fields = {k: require(row, k, str, path, line) for k in ("prompt", "chosen", "rejected")}
        kind = require(row, "kind", str, path, line)
        if kind not in REJECT_KINDS:
            raise DataFormatError(
                path, line, "kind", f"{kind!r}; allowed values: {', '.join(REJECT_KINDS)}"
            )
        category = require(row, "category", str, path, line)
        group = require(row, "group", int, path, line)
        pairs.append(PrefPair(**fields, kind=kind, category=category, group=group))
    return pairs


def load_pref_pairs(
    n_prompts: int | None = None, path: str | os.PathLike | None = None
) -> list[PrefPair]:
    """The training pairs: all of them, or those of ``n_prompts`` prompts.

    Args:
        n_prompts: keep the pairs of the first ``n_prompts`` prompts taken one category at a
            time in turn (so a small subset still covers every category), their ``group``
            renumbered 0..n-1 in that order (None: every prompt, groups as in the file).
        path: a pairs file (default: the bundled ``pref_pairs.jsonl.gz``).

    Raises:
        ValueError: fewer than 2 prompts remain (off-topic answers need another prompt).
    """
    pairs = read_pref_pairs(path)
    if n_prompts is not None:
        category_of: dict[int, str] = {}
        for pair in pairs:
            category_of.setdefault(pair.group, pair.category)
        by_cat: dict[str, list[int]] = {}
        for group, category in category_of.items():
            by_cat.setdefault(category, []).append(group)
        # interleave categories; zip stops at the smallest category, as the generator does
        order = [g for turn in zip(*by_cat.values(), strict=False) for g in turn][:n_prompts]
        new_group = {g: i for i, g in enumerate(order)}
        pairs = [
            PrefPair(p.prompt, p.chosen, p.rejected, p.kind, p.category, new_group[p.group])
            for g in order
            for p in pairs
            if p.group == g
        ]
    n = len({p.group for p in pairs})
    if n < 2:
        raise ValueError(f"need at least 2 prompts to make off-topic answers, got {n}")
    return pairs
