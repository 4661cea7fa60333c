"""Instruction-following prompts in six categories, each kept with the slots it was built
from (an :class:`InstructItem`), so :mod:`tools.samplegen.instruct_answers` can write answers
that do what the prompt asks.

Categories: ``product_description``, ``comparison``, ``how_to``, ``summary``, ``email`` and
``list``. Each prompt is built from slots (a catalog product, an audience, a hand-written
task with its steps, a generated customer review...). One ``random.Random(seed)`` drives
them all, so :func:`instruct_items` is a pure function of ``seed``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tools.samplegen.catalog import AUDIENCES, CATEGORIES, Category, brands_of
from tools.samplegen.grammar import plural, with_article
from tools.samplegen.instruct_topics import (
    AUDIENCE_PHRASE,
    DAYS,
    EMAIL_PURPOSES,
    HOBBIES,
    NAMES,
    TASKS,
)
from tools.samplegen.reviews import build_review, fitting_aspects

CATEGORY_NAMES = ("product_description", "comparison", "how_to", "summary", "email", "list")
PER_CATEGORY = 25


@dataclass
class InstructItem:
    """One prompt with the slots it was built from.

    Attributes:
        prompt: the instruction text.
        category: one of :data:`CATEGORY_NAMES`.
        kind: which prompt recipe of the category made it (``variants``, ``care_tips``...).
        slots: the values filled in (product, audience, steps, review sentences...).
    """

    prompt: str
    category: str
    kind: str
    slots: dict[str, Any] = field(default_factory=dict)


def _product(rng: random.Random, cat: Category) -> str:
    return f"{rng.choice(brands_of(cat))} {rng.choice(cat.features)} {cat.title}"


def _product_description(rng: random.Random, index: int) -> InstructItem:
    cat = rng.choice(CATEGORIES)
    product, audience = _product(rng, cat), rng.choice(AUDIENCES)
    prompt = rng.choice(
        (
            "Write a short product description (about 50 words) for the {p} aimed at {a}.",
            "Write an engaging product description of the {p} for an online shop. Mention who "
            "it is for: {a}.",
            "Describe the {p} in a few sentences for a product page targeting {a}.",
        )
    ).format(p=product, a=AUDIENCE_PHRASE[audience])
    slots = {"name": cat.name, "product": product, "audience": audience}
    return InstructItem(prompt, "product_description", "describe", slots)


def _comparison(rng: random.Random, index: int) -> InstructItem:
    if index % 2 == 0:  # two versions of one product category
        cat = rng.choice(CATEGORIES)
        f1, f2 = rng.sample(cat.features, 2)
        audience = rng.choice(AUDIENCES)
        prompt = rng.choice(
            (
                "Compare the {f1} {n} with the {f2} {n}. Which one would you recommend for {a}?",
                "I am choosing between the {f1} {n} and the {f2} {n}. Compare them for {a}.",
            )
        ).format(f1=f1, f2=f2, n=cat.name, a=AUDIENCE_PHRASE[audience])
        slots = {"name": cat.name, "a": f1, "b": f2, "audience": audience}
        return InstructItem(prompt, "comparison", "variants", slots)
    depts: dict[str, list[Category]] = {}
    for c in CATEGORIES:
        depts.setdefault(c.dept, []).append(c)
    a, b = rng.sample(depts[rng.choice(sorted(depts))], 2)
    prompt = rng.choice(
        (
            "What is the difference between {a} and {b}?",
            "Compare {a} and {b}: what is each one best for?",
        )
    ).format(a=with_article(a.name), b=with_article(b.name))
    return InstructItem(prompt, "comparison", "categories", {"a": a.name, "b": b.name})


def _how_to(rng: random.Random, index: int) -> InstructItem:
    template = rng.choice(
        (
            "Explain step by step how to {t}.",
            "How do I {t}? Give clear steps.",
            "Write short numbered instructions for how to {t}.",
        )
    )
    if index < len(TASKS):  # every hand-written task once, then buying guides
        task, steps = TASKS[index]
        kind = "task"
    else:  # steps built from the category's attributes
        cat = rng.choice(CATEGORIES)
        task, kind = f"choose a good {cat.name}", "choose"
        steps = (
            f"Decide what you will mainly use the {cat.name} for and set a budget.",
            *(f"Compare the {attr} of a few models." for attr in cat.attributes),
            "Read recent customer reviews for problems that come up again and again.",
            "Check the warranty and the return policy before you buy.",
        )
    return InstructItem(template.format(t=task), "how_to", kind, {"task": task, "steps": steps})


def _summary(rng: random.Random, index: int) -> InstructItem:
    cat = rng.choice([c for c in CATEGORIES if len(fitting_aspects(c.name)) >= 6])
    aspects, sentences = build_review(rng, cat.name, 3)
    opener = rng.choice(
        (
            f"I bought this {cat.name} last month.",
            f"I have been using this {cat.name} for a few weeks now.",
            f"This {cat.name} was a birthday present.",
        )
    )
    review = " ".join([opener, *(s for s, _ in sentences)])
    prompt = rng.choice(
        (
            "Summarize the following customer review in one or two sentences.\n\nReview: {r}",
            "Give a short summary of this review of {n}.\n\nReview: {r}",
            "Read the review below and summarize its main points briefly.\n\nReview: {r}",
        )
    ).format(r=review, n=with_article(cat.name))
    slots = {
        "name": cat.name,
        "review": review,
        "aspects": aspects,
        "points": [kp for _, kp in sentences],
    }
    return InstructItem(prompt, "summary", "review", slots)


def _email(rng: random.Random, index: int) -> InstructItem:
    cat = rng.choice(CATEGORIES)
    purpose, to, what = EMAIL_PURPOSES[index % len(EMAIL_PURPOSES)]
    slots = {
        "name": cat.name,
        "product": _product(rng, cat),
        "purpose": purpose,
        "recipient": rng.choice(NAMES),
        "days": rng.randint(2, 9),
        "count": rng.choice((50, 100, 200, 500)),
        "day": rng.choice(DAYS),
    }
    fill = {
        "r": slots["recipient"],
        "n": cat.name,
        "ns": plural(cat.name),
        "d": slots["days"],
        "k": slots["count"],
        "p": slots["product"],
        "day": slots["day"],
    }
    prompt = rng.choice(("Write a short email to {to} {w}.", "Draft a polite email to {to} {w}."))
    prompt = prompt.format(to=to.format(**fill), w=what.format(**fill))
    return InstructItem(prompt, "email", purpose, slots)


def _list(rng: random.Random, index: int) -> InstructItem:
    k = rng.randint(3, 5)
    if index % 3 == 0:
        cat = rng.choice(CATEGORIES)
        prompt = rng.choice(
            (
                "List {k} tips for taking care of {x}.",
                "Give me {k} tips to make my {n} last longer.",
            )
        ).format(k=k, x=with_article(cat.name), n=cat.name)
        return InstructItem(prompt, "list", "care_tips", {"name": cat.name, "k": k})
    if index % 3 == 1:
        cat = rng.choice(CATEGORIES)
        prompt = rng.choice(
            (
                "List {k} things to consider when buying {x}.",
                "What are {k} things I should check before buying {x}? Answer as a list.",
            )
        ).format(k=k, x=with_article(cat.name), n=cat.name)
        return InstructItem(prompt, "list", "buying", {"name": cat.name, "k": k})
    hobby = rng.choice(sorted(HOBBIES))
    k = min(k, len(HOBBIES[hobby]))
    prompt = rng.choice(
        (
            "List {k} gift ideas for someone who loves {h}.",
            "Suggest {k} gifts for a friend who is into {h}, as a numbered list.",
        )
    ).format(k=k, h=hobby)
    return InstructItem(prompt, "list", "gifts", {"hobby": hobby, "k": k})


def instruct_items(seed: int = 0, per_category: int = PER_CATEGORY) -> list[InstructItem]:
    """``6 * per_category`` distinct prompts, category by category, deterministic in ``seed``.

    Raises:
        ValueError: the recipes cannot make ``per_category`` distinct prompts of a category.
    """
    rng = random.Random(seed)
    makers = {
        "product_description": _product_description,
        "comparison": _comparison,
        "how_to": _how_to,
        "summary": _summary,
        "email": _email,
        "list": _list,
    }
    items: list[InstructItem] = []
    seen: set[str] = set()
    for category in CATEGORY_NAMES:
        made, tries = 0, 0
        while made < per_category:
            tries += 1
            if tries > 50 * per_category:
                raise ValueError(f"cannot make {per_category} distinct {category} prompts")
            # the index balances a category's recipes (and walks the hand-written tasks)
            item = makers[category](rng, made)
            if item.prompt in seen:
                continue
            seen.add(item.prompt)
            items.append(item)
            made += 1
    return items
