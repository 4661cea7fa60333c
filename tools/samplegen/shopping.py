"""All ShopBench-format sample rows, eight criteria, grouped by task.

Each generator returns rows with distinct prompts whose wording mirrors the public ShopBench
development prompts of the same task type; every gold answer follows from the hand-written
catalog by construction.
"""

from __future__ import annotations

import random

from tools.samplegen import lexicon
from tools.samplegen.shop_choice import (
    mc_attribute_category,
    mc_complement,
    mc_department,
    mc_query_relation,
    mc_total_quantity,
)
from tools.samplegen.shop_common import Row, unique_rows
from tools.samplegen.shop_lists import (
    ranking_query_products,
    retrieval_also_buy,
    retrieval_query_products,
    retrieval_review_aspects,
)
from tools.samplegen.shop_text import (
    gen_aspect_keyphrase,
    gen_category_explanations,
    gen_multilingual_description,
    gen_title_translation,
    ner_query_entities,
)


def shopping_rows(seed: int = 0, per_criterion: int = 48) -> list[Row]:
    """All sample rows, grouped by task, deterministic in ``seed``."""
    rng = random.Random(seed)
    mc_makers = (
        mc_attribute_category,
        mc_department,
        mc_complement,
        mc_query_relation,
        mc_total_quantity,
    )
    rows: list[Row] = []
    for i, make in enumerate(mc_makers):
        share = per_criterion // len(mc_makers) + (i < per_criterion % len(mc_makers))
        rows += unique_rows(share, lambda m=make: m(rng))
    for i, make in enumerate(
        (retrieval_query_products, retrieval_also_buy, retrieval_review_aspects)
    ):
        share = per_criterion // 3 + (i < per_criterion % 3)
        rows += unique_rows(share, lambda m=make: m(rng))
    rows += unique_rows(per_criterion, lambda: ranking_query_products(rng))
    rows += unique_rows(per_criterion, lambda: ner_query_entities(rng))
    rows += gen_category_explanations(rng)
    langs = sorted(lexicon.LANGUAGES)
    for i, lang in enumerate(langs):
        share = per_criterion // len(langs) + (i < per_criterion % len(langs))
        rows += unique_rows(share, lambda lg=lang: gen_title_translation(rng, lg))
    for i, lang in enumerate(langs):
        share = per_criterion // len(langs) + (i < per_criterion % len(langs))
        rows += unique_rows(share, lambda lg=lang: gen_multilingual_description(rng, lg))
    rows += unique_rows(per_criterion, lambda: gen_aspect_keyphrase(rng))
    return rows
