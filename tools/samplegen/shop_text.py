"""Named-entity (micro F1) and generation sample rows: entities in a query, category
explanations, title translation, multilingual descriptions and review keyphrases."""

from __future__ import annotations

import random

from tools.samplegen import lexicon
from tools.samplegen.catalog import AUDIENCES, CATEGORIES, COLORS, brands_of
from tools.samplegen.reviews import build_review
from tools.samplegen.shop_common import CONCEPTS, MULTILINGUAL, Row, row


def ner_query_entities(rng: random.Random) -> Row:
    cat = rng.choice(CATEGORIES)
    brand_a, brand_b = (b.lower() for b in rng.sample(brands_of(cat), 2))
    color, color_2 = rng.sample(COLORS, 2)
    audience = rng.choice(AUDIENCES)
    entity_type = rng.choice(("brand", "brand", "product type", "color"))
    if entity_type == "brand":
        query, gold = rng.choice(
            (
                (f"{brand_a} {cat.name}", [brand_a]),
                (f"{cat.name} {brand_a} {color}", [brand_a]),
                (f"{brand_a} vs {brand_b} {cat.name}", [brand_a, brand_b]),
            )
        )
    elif entity_type == "product type":
        query, gold = rng.choice(
            (
                (f"{brand_a} {cat.name} {color}", [cat.name]),
                (f"{cat.name} for {audience}", [cat.name]),
            )
        )
    else:
        query, gold = rng.choice(
            (
                (f"{color} {cat.name} for {audience}", [color]),
                (f"{cat.name} {color} and {color_2}", [color, color_2]),
            )
        )
    prompt = (
        "You are a helpful online shop assistant and a linguist. A customer on an online "
        "shopping platform has made the following query. Please extract phrases from the query "
        f"that correspond to the entity type '{entity_type}'. \nPlease directly output the "
        "entity without repeating the entity type. If there are multiple such entities, separate "
        f"them with comma. Do not give explanations. \nQuery: {query}\nOutput: "
    )
    return row(prompt, gold, "shop_query_ner", "named_entity_recognition", "micro f1", CONCEPTS)


# ------------------------------------------------------------------------------- generation


def gen_category_explanations(rng: random.Random) -> list[Row]:
    """One row per catalog category (gold: its hand-written definition)."""
    rows = []
    for cat in CATEGORIES:
        prompt = rng.choice(
            (
                f"Instructions: Tell me what this product category is about\nInput: {cat.title}\nOutput:",
                f"Instructions: Explain the product category name\nInput: {cat.title}\nOutput:",
                f"Input: Explain the product type {cat.title}\nOutput:",
            )
        )
        rows.append(
            row(
                prompt,
                cat.definition,
                "shop_category_explanation",
                "generation",
                "sent-transformer",
                CONCEPTS,
            )
        )
    return rows


def _title_spec(rng: random.Random, pack: bool) -> lexicon.TitleSpec:
    noun = rng.choice(lexicon.NOUNS)
    return lexicon.TitleSpec(
        brand=rng.choice(lexicon.BRANDS),
        noun=noun,
        material=rng.choice(noun.materials),
        size=rng.choice(noun.sizes),
        color=rng.choice(sorted(lexicon.COLORS)),
        pack=rng.choice((2, 3, 4)) if pack and rng.random() < 0.3 else None,
    )


def gen_title_translation(rng: random.Random, lang: str) -> Row:
    spec = _title_spec(rng, pack=True)
    language = lexicon.LANGUAGES[lang]
    prompt = (
        f"A product entitled '{lexicon.title(spec, 'en')}' exists on an online shopping website. "
        f"Generate an adequate title for the product when it appears on a(n) {language} online "
        f"shopping website.\nOutput: "
    )
    return row(
        prompt,
        lexicon.title(spec, lang),
        "shop_title_translation",
        "generation",
        "bleu",
        MULTILINGUAL,
    )


def gen_multilingual_description(rng: random.Random, lang: str) -> Row:
    spec = _title_spec(rng, pack=False)
    language = lexicon.LANGUAGES[lang]
    prompt = (
        f"A product entitled '{lexicon.title(spec, lang)}' exists on a(n) {language} online "
        f"shopping website. Describe the product in one sentence in {language}.\nOutput: "
    )
    return row(
        prompt,
        lexicon.description(spec, lang),
        "shop_multilingual_description",
        "generation",
        "multilingual-sent-transformer",
        MULTILINGUAL,
    )


def gen_aspect_keyphrase(rng: random.Random) -> Row:
    cat = rng.choice(CATEGORIES)
    aspects, sentences = build_review(rng, cat.name, rng.choice((3, 4)))
    asked = rng.randrange(len(aspects))
    review = " ".join(s for s, _ in sentences)
    prompt = (
        f"You are given a user review to a(n) {cat.name} product and an aspect covered in the "
        f"review. \nPlease extract the keyphrase from the review that mentions the given aspect. "
        f"\nYou should only extract ONLY ONE keyphrase from the review. \nYou should not generate "
        f"new keyphrases that do not exist in the review.\nDo not give explanations or irrelevant "
        f"text. Generate short keyphrases, not whole sentences.  \nReview: {review}\nAspect: "
        f"{aspects[asked]}\nOutput: \n"
    )
    return row(
        prompt, sentences[asked][1], "shop_aspect_keyphrase", "generation", "rougel", CONCEPTS
    )
