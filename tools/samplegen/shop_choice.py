"""Multiple-choice (accuracy) sample rows: attribute -> category, department, complementary
category, query relation and total quantity. Wrong options come from departments that cannot
be confused with the right one (``catalog.far_categories``)."""

from __future__ import annotations

import random

from tools.samplegen.catalog import (
    AUDIENCES,
    BY_NAME,
    CATEGORIES,
    COLORS,
    DEPARTMENTS,
    PANTRY_BRANDS,
    PANTRY_ITEMS,
    brands_of,
    far_categories,
)
from tools.samplegen.shop_common import (
    BEHAVIOR,
    CONCEPTS,
    QUERY_RELATIONS,
    REASONING,
    Row,
    article,
    mc_prompt,
    product_title,
    row,
)


def mc_attribute_category(rng: random.Random) -> Row:
    cat = rng.choice(CATEGORIES)
    attr = rng.choice(cat.attributes)
    wrong = [c.name for c in rng.sample(far_categories(cat), 3)]
    question = rng.choice(
        (
            f"Which of the following product categories may have the attribute {attr}?",
            f"Select the category of products that can have the attribute {attr}.",
        )
    )
    prompt, gold = mc_prompt(question, cat.name, wrong, rng)
    return row(prompt, gold, "shop_attribute_category", "multiple-choice", "accuracy", CONCEPTS)


def mc_department(rng: random.Random) -> Row:
    dept = rng.choice(sorted(DEPARTMENTS))
    cat = rng.choice([c for c in CATEGORIES if c.dept == dept])
    far = far_categories(cat)
    wrong_cats = rng.sample(far, 3)
    label = DEPARTMENTS[dept][0]
    question = f"Which of the following products is {article(label)} {label}?"
    prompt, gold = mc_prompt(
        question, product_title(rng, cat), [product_title(rng, c) for c in wrong_cats], rng
    )
    return row(prompt, gold, "shop_department", "multiple-choice", "accuracy", CONCEPTS)


def mc_complement(rng: random.Random) -> Row:
    cat = rng.choice([c for c in CATEGORIES if c.complements])
    right = BY_NAME[rng.choice(cat.complements)]
    wrong = [c.name for c in rng.sample(far_categories(cat, right), 3)]
    question = (
        f"Which of the following product categories best complement the product type {cat.name}?"
    )
    prompt, gold = mc_prompt(question, right.name, wrong, rng)
    return row(prompt, gold, "shop_complement_category", "multiple-choice", "accuracy", REASONING)


def mc_query_relation(rng: random.Random) -> Row:
    relation = rng.choice(QUERY_RELATIONS)
    cat = rng.choice(
        [c for c in CATEGORIES if c.complements] if relation == "complement" else CATEGORIES
    )
    brand_a, brand_b = (b.lower() for b in rng.sample(brands_of(cat), 2))
    if relation == "narrowing":
        q1, q2 = rng.choice(
            (
                (brand_a, f"{brand_a} {cat.name}"),
                (cat.name, f"{cat.name} for {rng.choice(AUDIENCES)}"),
                (cat.name, f"{rng.choice(COLORS)} {cat.name}"),
            )
        )
    elif relation == "substitute":
        q1, q2 = f"{brand_a} {cat.name}", f"{brand_b} {cat.name}"
    elif relation == "complement":
        q1, q2 = cat.name, rng.choice(cat.complements)
    else:
        q1, q2 = cat.name, rng.choice(far_categories(cat)).name
    question = (
        f'Which of the following statements best describes the relation from query "{q1}" to '
        f'query "{q2}"?'
    )
    body = "\n".join(f"{i}. {r}" for i, r in enumerate(QUERY_RELATIONS))
    prompt = f"{question}\n{body}\nAnswer: "
    return row(
        prompt,
        QUERY_RELATIONS.index(relation),
        "shop_query_relation",
        "multiple-choice",
        "accuracy",
        BEHAVIOR,
    )


def mc_total_quantity(rng: random.Random) -> Row:
    name, noun, unit = rng.choice(PANTRY_ITEMS)
    brand = rng.choice(PANTRY_BRANDS)
    k = rng.randint(2, 12)
    if unit == "ounce":
        each = rng.choice((3.5, 5.3, 7.05, 8, 9.24, 12, 16, 24))
        title = f"{brand} {name}, {_num(each)} oz (Pack of {k})"
        question = f"What is the total weight of the {noun} in this package?"
    else:
        each = rng.choice((20, 40, 50, 80, 100, 120, 200))
        title = f"{brand} {name}, {each} Count, Pack of {k}"
        question = f"What is the total count of {noun} in this package?"
    total = each * k
    candidates = [each, each * (k + 1), each * k * 2, each * (k - 1), each + k, total + each / 2]
    wrong: list[str] = []
    for c in candidates:
        text = f"{_num(c)} {unit}"
        if c != total and c > 0 and text not in wrong:
            wrong.append(text)
    prompt, gold = mc_prompt(
        f"The product '{title}' appears on an e-commerce website. {question}",
        f"{_num(total)} {unit}",
        rng.sample(wrong, 3),
        rng,
    )
    return row(prompt, gold, "shop_total_quantity", "multiple-choice", "accuracy", REASONING)


def _num(x: float) -> str:
    x = round(float(x), 2)
    return str(int(x)) if x.is_integer() else f"{x:g}"
