"""Shared pieces of the ShopBench-format sample generators: the row shape, tracks, product
titles, numbered lists and the output instructions the ShopBench prompts end with."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from tools.samplegen.catalog import COLORS, Category, brands_of

Row = dict[str, Any]

CONCEPTS = "amazon-kdd-cup-24-understanding-shopping-concepts"
REASONING = "amazon-kdd-cup-24-shopping-knowledge-reasoning"
BEHAVIOR = "amazon-kdd-cup-24-user-behavior-alignment"
MULTILINGUAL = "amazon-kdd-cup-24-multi-lingual-abilities"

# ESCI relevance weights, as in ShopBench's ranking gold: exact, substitute, complement, irrelevant
EXACT, SUBSTITUTE, COMPLEMENT, IRRELEVANT = 1, 0.1, 0.01, 0
QUERY_RELATIONS = ("irrelevant", "substitute", "complement", "narrowing")
PICK3_OUTPUT = (
    "You should output 3 numbers that correspond to the selected products. There should be a "
    "comma separating every two numbers. Only respond with the results. Do not say any word or "
    "explanations.\nOutput: "
)
RANK_OUTPUT = (
    "You should output a permutation of 1 to 5. There should be a comma separating two numbers. "
    "Each product and its number should appear only once in the output. Only respond with the "
    "ranking results. Do not say any word or explanations.\nOutput: "
)


def row(prompt: str, gold: Any, task: str, task_type: str, metric: str, track: str) -> Row:
    return {
        "input_field": prompt,
        "output_field": gold,
        "task_name": task,
        "task_type": task_type,
        "metric": metric,
        "is_multiple_choice": task_type == "multiple-choice",
        "track": track,
    }


def unique_rows(n: int, make: Callable[[], Row]) -> list[Row]:
    """Call ``make`` until ``n`` rows with distinct prompts exist (templates repeat)."""
    rows: dict[str, Row] = {}
    for _ in range(200 * n):
        r = make()
        rows.setdefault(r["input_field"], r)
        if len(rows) == n:
            return list(rows.values())
    raise RuntimeError(f"could only make {len(rows)} distinct rows of {n}")


def product_title(rng: random.Random, cat: Category, brand: str | None = None) -> str:
    brand = brand or rng.choice(brands_of(cat))
    title = f"{brand} {rng.choice(cat.features)} {cat.title}"
    if rng.random() < 0.4:
        title += f", {rng.choice(COLORS).title()}"
    return title


def distinct_titles(rng: random.Random, cats: list[Category], k: int, brand=None) -> list[str]:
    titles: list[str] = []
    while len(titles) < k:
        t = product_title(rng, rng.choice(cats), brand)
        if t not in titles and not any(t.split(",")[0] == u.split(",")[0] for u in titles):
            titles.append(t)
    return titles


def mc_prompt(question: str, right: str, wrong: list[str], rng: random.Random) -> tuple[str, int]:
    choices = [right] + wrong
    rng.shuffle(choices)
    body = "\n".join(f"{i}. {c}" for i, c in enumerate(choices))
    return f"{question}\n{body}\nAnswer: ", choices.index(right)


def numbered(items: list[str], sep: str = ". ") -> str:
    return "\n".join(f"{i}{sep}{t}" for i, t in enumerate(items, 1))


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
