"""The bundled instruction-following sample (``instruct_sample.jsonl``): prompts in six
categories (:mod:`tools.samplegen.instruct_prompts`), each with a reference answer that does
what it asks (:mod:`tools.samplegen.instruct_answers`). :mod:`tools.samplegen.pref_pairs`
writes more such answers (and corrupts them) for the project's preference reward model.

Everything is a pure function of ``seed``: one ``random.Random(seed)`` drives the prompts,
and every reference is written by its own ``random.Random`` seeded from (seed, row index).
"""

from __future__ import annotations

import random

from tools.samplegen.instruct_answers import good_response
from tools.samplegen.instruct_prompts import (
    CATEGORY_NAMES,
    PER_CATEGORY,
    InstructItem,
    instruct_items,
)

__all__ = ["CATEGORY_NAMES", "InstructItem", "good_response", "instruct_items", "instruct_rows"]


def instruct_rows(seed: int = 0, per_category: int = PER_CATEGORY) -> list[dict[str, str]]:
    """The bundled sample: ``{"prompt", "category", "reference"}`` rows."""
    rows = []
    for i, item in enumerate(instruct_items(seed, per_category)):
        reference = good_response(item, random.Random(seed * 100_003 + i))
        rows.append({"prompt": item.prompt, "category": item.category, "reference": reference})
    return rows
