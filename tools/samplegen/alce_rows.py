"""ALCE-format sample rows: ASQA-style ambiguous questions and ELI5-style explanations.

ASQA rows are about invented products (facts cannot be wrong about things that do not exist);
each question has two or three readings, each answered by one relevant document, and the
documents are mixed with distractors about other products. ELI5 rows come from ``eli5``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tools.samplegen.eli5 import ELI5_TOPICS

Doc = dict[str, str]


@dataclass(frozen=True)
class Reading:
    question: str  # the disambiguated question
    answer: str  # short answer
    clause: str  # the answer sentence part for this reading
    doc: Doc  # the document that supports it


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
REGIONS = ("Europe", "North America", "Japan", "Australia")
DESIGNERS = (
    "Mara Lindqvist",
    "Tomas Okafor",
    "Ines Duarte",
    "Kenji Mori",
    "Leah Brandt",
    "Owen Castell",
    "Priya Raman",
    "Jonas Weber",
    "Sofia Marchetti",
    "Daniel Osei",
)
ENTITY_PARTS = {
    "release": (
        ("Voltra", "Sonique", "Pixelon"),
        ("Aria X2", "Pulse 300", "Nimbus 7", "Halo One", "Echo Air", "Vector S"),
        "wireless speaker",
    ),
    "battery": (
        ("Sonique", "Voltra", "Pixelon"),
        ("Quietline Pro", "Nimbus ANC", "Halo Studio", "Drift 45", "Calm 2", "Orbit Max"),
        "pair of noise-cancelling headphones",
    ),
    "price": (
        ("Pixelon", "Voltra", "Sonique"),
        ("Nova 5", "Orbit S", "Zen 12", "Arc Mini", "Flux 8", "Helix Pro"),
        "smartphone",
    ),
    "weight": (
        ("Panmaster", "Cuisento", "Oakhaven"),
        ("ProSear", "Everyday Classic", "Chef Line", "Ironwood", "Trio Clad", "Heritage"),
        "frying pan",
    ),
    "designer": (
        ("Brewly", "Kitchora", "Heatwell"),
        ("Arc", "Stellar", "Loop", "Crest", "Ember", "Halo"),
        "electric kettle",
    ),
    "capacity": (
        ("Heatwell", "Kitchora", "Brewly"),
        ("CrispMax", "AeroCook", "FryLite", "TurboAir", "QuickCrisp", "HotWave"),
        "air fryer",
    ),
}


def _release(rng: random.Random, entity: str, kind: str) -> tuple[str, list[Reading]]:
    regions = rng.sample(REGIONS, rng.choice((2, 3)))
    year = rng.randint(2016, 2023)
    month = rng.randrange(9)
    readings = []
    for i, region in enumerate(regions):
        # regions launch two months apart, in the listed order
        date = f"{MONTHS[(month + 2 * i) % 12]} {year + (month + 2 * i) // 12}"
        text = rng.choice(
            (
                f"The {entity} is a {kind}. It went on sale in {region} in {date}, and early reviews praised its sound for the price.",
                f"The company launched the {entity} in {region} in {date}. The {kind} was sold through its own store and major retailers.",
            )
        )
        readings.append(
            Reading(
                f"When was the {entity} released in {region}?",
                date,
                f"in {region} in {date}",
                {"title": f"{entity} ({region})", "text": text},
            )
        )
    return f"When was the {entity} released?", readings


def _battery(rng: random.Random, entity: str, kind: str) -> tuple[str, list[Reading]]:
    on = rng.randint(18, 32)
    off = on + rng.randint(5, 15)
    texts = (
        f"In our battery test the {entity} lasted {on} hours of music playback with noise cancelling turned on, which is about average for its class.",
        f"According to its maker, the {entity} plays for up to {off} hours with noise cancelling turned off, and a 10-minute charge adds several hours.",
    )
    readings = [
        Reading(
            f"How long does the battery of the {entity} last with noise cancelling turned on?",
            f"{on} hours",
            f"about {on} hours with noise cancelling turned on",
            {"title": f"{entity} review", "text": texts[0]},
        ),
        Reading(
            f"How long does the battery of the {entity} last with noise cancelling turned off?",
            f"{off} hours",
            f"up to {off} hours with noise cancelling turned off",
            {"title": f"{entity} specifications", "text": texts[1]},
        ),
    ]
    return f"How long does the battery of the {entity} last?", readings


def _price(rng: random.Random, entity: str, kind: str) -> tuple[str, list[Reading]]:
    storages = ("64 GB", "128 GB", "256 GB")[: rng.choice((2, 3))]
    base = rng.randrange(299, 700, 50)
    readings = []
    for i, storage in enumerate(storages):
        price = f"${base + 100 * i}"
        text = (
            f"At launch, the {storage} model of the {entity} cost {price}. The {kind} was offered "
            f"in several colors, all at the same price for a given storage size."
        )
        readings.append(
            Reading(
                f"How much did the {storage} model of the {entity} cost at launch?",
                price,
                f"{price} for the {storage} model",
                {"title": f"{entity} ({storage})", "text": text},
            )
        )
    return f"How much did the {entity} cost at launch?", readings


def _weight(rng: random.Random, entity: str, kind: str) -> tuple[str, list[Reading]]:
    sizes = (24, 28)
    light = rng.randint(8, 12) / 10
    weights = (f"{light:.1f} kg", f"{light + rng.randint(2, 5) / 10:.1f} kg")
    readings = []
    for size, weight in zip(sizes, weights, strict=True):
        text = (
            f"The {size} cm version of the {entity} {kind} weighs {weight}, including its handle. "
            f"It is oven safe and works on all hob types."
        )
        readings.append(
            Reading(
                f"How much does the {size} cm {entity} {kind} weigh?",
                weight,
                f"{weight} for the {size} cm version",
                {"title": f"{entity} {size} cm", "text": text},
            )
        )
    return f"How much does the {entity} {kind} weigh?", readings


def _designer(rng: random.Random, entity: str, kind: str) -> tuple[str, list[Reading]]:
    first, second = rng.sample(DESIGNERS, 2)
    year = rng.randint(2010, 2016)
    redesign = year + rng.randint(3, 6)
    readings = [
        Reading(
            f"Who designed the original {entity} {kind} released in {year}?",
            first,
            f"the original {year} model was designed by {first}",
            {
                "title": f"{entity} (kettle)",
                "text": f"The original {entity} {kind}, released in {year}, was designed by {first}, whose studio was known for simple kitchen products.",
            },
        ),
        Reading(
            f"Who designed the {redesign} redesign of the {entity} {kind}?",
            second,
            f"the {redesign} redesign was led by {second}",
            {
                "title": f"{entity} redesign",
                "text": f"For the {redesign} redesign of the {entity} {kind}, the company hired {second}, who gave it a wider spout and a hidden heating element.",
            },
        ),
    ]
    return f"Who designed the {entity} {kind}?", readings


def _capacity(rng: random.Random, entity: str, kind: str) -> tuple[str, list[Reading]]:
    standard = rng.choice((3.5, 4, 5, 5.5))
    xl = standard + rng.choice((2, 2.5, 3))
    readings = []
    for model, cap in (("standard", standard), ("XL", xl)):
        cap_text = f"{cap:g} quarts"
        text = (
            f"The {model} {entity} {kind} has a basket capacity of {cap_text}, enough for "
            f"{'a family meal' if model == 'XL' else 'two to three servings'}."
        )
        readings.append(
            Reading(
                f"What is the basket capacity of the {model} {entity} {kind}?",
                cap_text,
                f"{cap_text} for the {model} model",
                {"title": f"{entity} {model}", "text": text},
            )
        )
    return f"What is the basket capacity of the {entity} {kind}?", readings


_MAKERS = {
    "release": _release,
    "battery": _battery,
    "price": _price,
    "weight": _weight,
    "designer": _designer,
    "capacity": _capacity,
}


def asqa_rows(rng: random.Random, per_type: int = 5) -> list[dict[str, Any]]:
    """``per_type`` ASQA-style rows for each question type (6 types)."""
    items = []
    for kind_key, make in _MAKERS.items():
        brands, models, kind = ENTITY_PARTS[kind_key]
        for model in rng.sample(models, per_type):
            entity = f"{rng.choice(brands)} {model}"
            question, readings = make(rng, entity, kind)
            items.append((question, readings))
    rows = []
    for i, (question, readings) in enumerate(items):
        # distractors: a relevant-looking doc of another item, so retrieval noise is realistic
        others = [r.doc for j, (_, rs) in enumerate(items) if j != i for r in rs]
        docs = [r.doc for r in readings] + rng.sample(others, rng.choice((1, 2)))
        rng.shuffle(docs)
        cites = [docs.index(r.doc) + 1 for r in readings]
        answer = _asqa_answer(question, readings, cites)
        rows.append(
            {
                "question": question,
                "answer": answer,
                "qa_pairs": [
                    {"question": r.question, "short_answers": [r.answer]} for r in readings
                ],
                "docs": docs,
                "sample_id": f"asqa-sample-{i}",
            }
        )
    return rows


def _asqa_answer(question: str, readings: list[Reading], cites: list[int]) -> str:
    parts = [f"{r.clause} [{c}]" for r, c in zip(readings, cites, strict=True)]
    body = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]
    return f"The answer depends on which one is meant: {body}."


def eli5_rows(rng: random.Random) -> list[dict[str, Any]]:
    """One ELI5-style row per hand-written topic, each with 1-2 distractor documents."""
    rows = []
    all_docs = [[{"title": t, "text": x} for t, x in docs] for _, docs, _ in ELI5_TOPICS]
    for i, (question, _, claims) in enumerate(ELI5_TOPICS):
        own = all_docs[i]
        others = [d for j, ds in enumerate(all_docs) if j != i for d in ds]
        docs = own + rng.sample(others, rng.choice((1, 2)))
        rng.shuffle(docs)
        answer = " ".join(f"{claim[:-1]} [{docs.index(own[k]) + 1}]." for claim, k in claims)
        rows.append(
            {
                "question": question,
                "answer": answer,
                "claims": [claim for claim, _ in claims],
                "docs": docs,
                "sample_id": f"eli5-sample-{i}",
            }
        )
    return rows


def alce_rows(seed: int = 0) -> list[dict[str, Any]]:
    """The bundled ALCE sample: 30 ASQA-style rows, then 30 ELI5-style rows."""
    rng = random.Random(seed)
    return asqa_rows(rng) + eli5_rows(rng)
