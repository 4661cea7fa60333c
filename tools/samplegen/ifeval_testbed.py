"""The verifiable multi-constraint instruction-following testbed (IFEval format).

Base prompts are open writing tasks about the catalog's product categories (six templates:
describe, choose, care, email, story, compare with a complement). The categories are split
once, by seed, into training and held-out ones, so no held-out base prompt (nor product)
appears in training. Each base prompt gets two rows, each with 1-3 IFEval constraints
(k cycles 1, 2, 3) from distinct families, the least-used families first, never two that
IFEval's own conflict table forbids together; the constraint's IFEval wording
(``build_description``) is appended to the prompt.

The menu keeps seven families whose constraints a 135M policy can sometimes satisfy when
sampling (ARCHITECTURE.md, "Testbed facts": change_case and startend at IFEval's default
arguments were 0/16 and 2/48), so every family can give ReMax a gradient: each family mixes
an easy and a hard form (e.g. "at least 2 all-capital words" next to "all lowercase").
``language`` (respond in another language) and ``combination`` (repeat the prompt, two
responses) are left out: at 135M they are 0 % and not a surface feature.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from tools.samplegen.catalog import CATEGORIES, Category

HELDOUT_CATEGORIES = 12
ROWS_PER_BASE = 2

TEMPLATES = (
    "Describe {a_name} and what people use it for.",
    "Explain how to choose a good {name}.",
    "Give advice on how to take care of {a_name} so that it lasts.",
    "Write an email to a friend recommending {a_name}.",
    "Write a story about someone who buys {a_name}.",
    "Explain when you would need {a_name} and when {a_complement} is the better choice.",
)

# Words a response about anything can use naturally (keyword constraints).
COMMON_WORDS = ("quality", "simple", "daily", "easy", "price", "comfort", "useful", "home")
FORBIDDEN_PAIRS = (("very", "really"), ("best", "great"), ("perfect", "amazing"), ("also", "just"))
END_PHRASES = ("Is there anything else I can help with?", "Have a nice day.", "Thank you.")


def with_article(noun: str) -> str:
    """``a tent``, ``an umbrella``."""
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def head_noun(category: Category) -> str:
    """The last word of a category name (``kettle`` of ``electric kettle``)."""
    return category.name.split()[-1]


def constraint_menu(category: Category, rng: random.Random) -> dict[str, list[tuple[str, dict]]]:
    """family -> the (instruction id, kwargs) choices for a prompt about ``category``."""
    noun = head_noun(category)
    return {
        "keywords": [
            ("keywords:existence", {"keywords": [noun, rng.choice(COMMON_WORDS)]}),
            ("keywords:frequency", {"keyword": noun, "frequency": 2, "relation": "at least"}),
            ("keywords:forbidden_words", {"forbidden_words": list(rng.choice(FORBIDDEN_PAIRS))}),
            (
                "keywords:letter_frequency",
                {"letter": rng.choice("aeo"), "let_frequency": 10, "let_relation": "at least"},
            ),
        ],
        "length_constraints": [
            ("length_constraints:number_words", {"num_words": 40, "relation": "less than"}),
            ("length_constraints:number_words", {"num_words": 30, "relation": "at least"}),
            ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"}),
            ("length_constraints:number_sentences", {"num_sentences": 4, "relation": "less than"}),
        ],
        "detectable_format": [
            ("detectable_format:number_highlighted_sections", {"num_highlights": 1}),
            ("detectable_format:number_highlighted_sections", {"num_highlights": 2}),
            ("detectable_format:number_bullet_lists", {"num_bullets": rng.choice((2, 3))}),
            ("detectable_format:title", {}),
        ],
        "change_case": [
            (
                "change_case:capital_word_frequency",
                {"capital_frequency": 2, "capital_relation": "at least"},
            ),
            (
                "change_case:capital_word_frequency",
                {"capital_frequency": 3, "capital_relation": "less than"},
            ),
            ("change_case:english_lowercase", {}),
        ],
        "punctuation": [("punctuation:no_comma", {})],
        "startend": [
            ("startend:end_checker", {"end_phrase": rng.choice(END_PHRASES)}),
            ("startend:quotation", {}),
        ],
        "detectable_content": [
            ("detectable_content:postscript", {"postscript_marker": rng.choice(("P.S.", "P.P.S"))}),
            ("detectable_content:number_placeholders", {"num_placeholders": 1}),
        ],
    }


FAMILIES = tuple(constraint_menu(CATEGORIES[0], random.Random(0)))


def split_categories(seed: int) -> tuple[list[Category], list[Category]]:
    """Training and held-out categories (disjoint), deterministic in ``seed``."""
    order = list(CATEGORIES)
    random.Random(seed).shuffle(order)
    held = sorted(order[:HELDOUT_CATEGORIES], key=lambda c: c.name)
    train = sorted(order[HELDOUT_CATEGORIES:], key=lambda c: c.name)
    return train, held


def base_prompts(categories: list[Category], rng: random.Random) -> list[str]:
    """Every template for every category (the complement drawn from the category's own)."""
    out = []
    for cat in categories:
        for template in TEMPLATES:
            complement = rng.choice(cat.complements) if cat.complements else "another product"
            out.append(
                template.format(
                    name=cat.name,
                    a_name=with_article(cat.name),
                    a_complement=with_article(complement),
                )
            )
    return out


def _conflicts() -> dict[str, set[str]]:
    from if_verifiable.ifeval.instructions_registry import INSTRUCTION_CONFLICTS, conflict_make

    return conflict_make({k: set(v) for k, v in INSTRUCTION_CONFLICTS.items()})


def testbed_rows(seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """``{"train": rows, "heldout": rows}`` in IFEval format (``key``, ``prompt``,
    ``instruction_id_list``, ``kwargs``) plus ``base_prompt``; a pure function of ``seed``."""
    from common.rewards.ifeval_checks import describe

    rng = random.Random(seed)
    conflicts = _conflicts()
    train_cats, held_cats = split_categories(seed)
    out: dict[str, list[dict[str, Any]]] = {}
    for split, cats in (("train", train_cats), ("heldout", held_cats)):
        used: Counter[str] = Counter()
        rows = []
        for base_i, base in enumerate(base_prompts(cats, rng)):
            cat = cats[base_i // len(TEMPLATES)]
            for _ in range(ROWS_PER_BASE):
                k = len(rows) % 3 + 1
                menu = constraint_menu(cat, rng)
                # least-used families first, ties broken at random
                families = sorted(FAMILIES, key=lambda f: (used[f], rng.random()))
                chosen: list[tuple[str, dict]] = []
                for family in families:
                    if len(chosen) == k:
                        break
                    iid, kwargs = rng.choice(menu[family])
                    if any(
                        iid in conflicts.get(c, ()) or c in conflicts.get(iid, ())
                        for c, _ in chosen
                    ):
                        continue
                    chosen.append((iid, kwargs))
                    used[family] += 1
                text = " ".join(describe(iid, kw) for iid, kw in chosen)
                rows.append(
                    {
                        "key": f"{split}-{len(rows):04d}",
                        "prompt": f"{base} {text}",
                        "instruction_id_list": [iid for iid, _ in chosen],
                        "kwargs": [kw for _, kw in chosen],
                        "base_prompt": base,
                    }
                )
        out[split] = rows
    return out
