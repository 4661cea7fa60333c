"""Retrieval (hit rate@3) and ranking (NDCG) sample rows: pick the products that match a
query or were bought together, the aspects a review covers, and rank five products."""

from __future__ import annotations

import random

from tools.samplegen.catalog import BY_NAME, CATEGORIES, brands_of, far_categories
from tools.samplegen.reviews import ASPECTS, build_review, related
from tools.samplegen.shop_common import (
    BEHAVIOR,
    COMPLEMENT,
    CONCEPTS,
    EXACT,
    IRRELEVANT,
    PICK3_OUTPUT,
    RANK_OUTPUT,
    SUBSTITUTE,
    Row,
    distinct_titles,
    numbered,
    product_title,
    row,
)


def retrieval_query_products(rng: random.Random) -> Row:
    cat = rng.choice(CATEGORIES)
    right = distinct_titles(rng, [cat], 3)
    wrong = distinct_titles(rng, far_categories(cat), 7)
    items = right + wrong
    rng.shuffle(items)
    prompt = (
        f"A user on an online shopping website has searched for '{cat.name}'. The following "
        f"numbered list contains 10 products. Please select 3 products from the list that best "
        f"match the user's query.\nProduct List: \n{numbered(items)}\n{PICK3_OUTPUT}"
    )
    gold = sorted(items.index(t) + 1 for t in right)
    return row(prompt, gold, "shop_query_product_retrieval", "retrieval", "hit rate@3", BEHAVIOR)


def retrieval_also_buy(rng: random.Random) -> Row:
    cat = rng.choice([c for c in CATEGORIES if c.complements])
    comps = [BY_NAME[n] for n in cat.complements]
    bought = product_title(rng, cat)
    right = distinct_titles(rng, comps, 3)
    wrong = distinct_titles(rng, far_categories(cat, *comps), 12)
    items = right + wrong
    rng.shuffle(items)
    prompt = (
        f"A user on an online shopping website has just purchased a product '{bought}'. The "
        f"following numbered list contains 15 products. Please select 3 products from the list "
        f"that the user may also purchase.\nProduct List: \n{numbered(items)}\n{PICK3_OUTPUT}"
    )
    gold = sorted(items.index(t) + 1 for t in right)
    return row(prompt, gold, "shop_also_buy", "retrieval", "hit rate@3", BEHAVIOR)


def retrieval_review_aspects(rng: random.Random) -> Row:
    cat = rng.choice(CATEGORIES)
    covered, sentences = build_review(rng, cat.name, 3)
    others = [a for a in ASPECTS if not any(related(a, c) for c in covered)]
    aspects = covered + rng.sample(others, 7)
    rng.shuffle(aspects)
    review = " ".join(s for s, _ in sentences)
    prompt = (
        f"\nYou are given a user review given to a(n) {cat.name} product. You are also given a "
        f"numbered list of ten aspects. \nPlease choose three aspects from the list that are "
        f"covered by the review. \nYou should ONLY output three numbers, separated by comma. Do "
        f"not generate explanations or other texts. \nReview: \n{review}\nAspect List: \n"
        f"{numbered(aspects, sep='.')}\nOutput: "
    )
    gold = sorted(aspects.index(a) + 1 for a in covered)
    return row(prompt, gold, "shop_review_aspects", "retrieval", "hit rate@3", CONCEPTS)


# ------------------------------------------------------------------------------ ranking (ndcg)


def ranking_query_products(rng: random.Random) -> Row:
    cat = rng.choice(CATEGORIES)
    brand = rng.choice(brands_of(cat))
    query = f"{brand.lower()} {cat.name}"
    n_exact = rng.choice((1, 2))
    n_sub = rng.choice((1, 2))
    others = [b for b in brands_of(cat) if b != brand]
    cands = [(t, EXACT) for t in distinct_titles(rng, [cat], n_exact, brand)]
    subs = [product_title(rng, cat, b) for b in rng.sample(others, n_sub)]
    cands += [(t, SUBSTITUTE) for t in subs]
    comps = [BY_NAME[n] for n in cat.complements]
    if comps:
        cands.append((product_title(rng, rng.choice(comps)), COMPLEMENT))
    far = far_categories(cat, *comps)
    cands += [(t, IRRELEVANT) for t in distinct_titles(rng, far, 5 - len(cands))]
    rng.shuffle(cands)
    products = numbered([t for t, _ in cands])
    if rng.random() < 0.5:
        head = (
            f"A user has made a query with keyword '{query}'. Given the following numbered list "
            f"of 5 products, please rank the products according their relevance with the query. "
        )
    else:
        head = (
            "You are an intelligent shopping assistant that can rank products based on their "
            "relevance to the query. The following numbered list contains 5 products. Please "
            f"rank the products according to their relevance with the query '{query}'. "
        )
    prompt = f"{head}\nProduct List: \n{products}\n{RANK_OUTPUT}"
    return row(
        prompt, [w for _, w in cands], "shop_query_product_ranking", "ranking", "ndcg", BEHAVIOR
    )
