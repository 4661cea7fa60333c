"""Open-ended prompts without gold answers (the bundled sample for reward-model-scored
generation), templated over the catalog's product categories."""

from __future__ import annotations

import random

from tools.samplegen.catalog import AUDIENCES, CATEGORIES

TEMPLATES = (
    "Write a short product description for a {name} aimed at {audience}.",
    "Explain to a first-time buyer what to look for when choosing a {name}.",
    "Write a friendly reply to a customer who says the {name} they ordered arrived damaged.",
    "Give three practical tips for making a {name} last longer.",
    "Write a short story in which a {name} plays an important part.",
    "A friend asks whether a {name} is worth buying. Write a balanced answer.",
)


def prompt_rows(seed: int = 0, n: int = 120) -> list[dict[str, str]]:
    """``n`` distinct prompts as ``{"prompt", "task_name"}`` rows, deterministic in ``seed``."""
    rng = random.Random(seed)
    pool = [
        t.format(name=c.name, audience=a)
        for t in TEMPLATES
        for c in CATEGORIES
        for a in AUDIENCES
        if "{audience}" in t or a == AUDIENCES[0]
    ]
    pool = sorted(set(pool))
    if n > len(pool):
        raise ValueError(f"only {len(pool)} distinct prompts, asked for {n}")
    return [{"prompt": p, "task_name": "open_ended"} for p in rng.sample(pool, n)]
