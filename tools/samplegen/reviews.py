"""Hand-written review sentences, one aspect each, with the aspect's keyphrase in brackets.

A review is a few sentences on different aspects, so the aspects it covers and the keyphrase
for each are known exactly; the keyphrase is a verbatim span of the review.
"""

from __future__ import annotations

import random
import re

_POWERED = frozenset(
    {
        "electric kettle",
        "toaster",
        "blender",
        "coffee maker",
        "air fryer",
        "computer mouse",
        "keyboard",
        "hair dryer",
        "electric toothbrush",
        "cordless drill",
    }
)
_ASSEMBLED = frozenset(
    {
        "blender",
        "coffee maker",
        "air fryer",
        "smartphone",
        "wireless headphones",
        "keyboard",
        "computer mouse",
        "tent",
        "cordless drill",
        "board game",
        "desk lamp",
        "storage box",
    }
)
_WORN_OR_SLEPT_ON = frozenset(
    {
        "t-shirt",
        "rain jacket",
        "socks",
        "watch band",
        "running shoes",
        "yoga mat",
        "hiking backpack",
        "sleeping bag",
        "pillow",
        "bed sheet",
        "bath towel",
        "dog bed",
        "wireless headphones",
    }
)
_WIPEABLE = frozenset(
    {
        "electric kettle",
        "toaster",
        "blender",
        "coffee maker",
        "air fryer",
        "frying pan",
        "cutting board",
        "coffee mug",
        "tea infuser",
        "teapot",
        "water bottle",
        "litter box",
        "storage box",
        "yoga mat",
        "phone case",
        "desk lamp",
    }
)
_NOT_OPERATED = frozenset(
    {
        "t-shirt",
        "rain jacket",
        "socks",
        "watch band",
        "bath towel",
        "pillow",
        "bed sheet",
        "shampoo",
        "sunscreen",
        "tennis balls",
        "scented candle",
        "jigsaw puzzle",
        "notebook",
    }
)

# aspect -> (categories it fits: None for any, categories it never fits, sentences with
# [keyphrase]); limits keep reviews sensible ("runs quietly" only for things that run).
ASPECTS: dict[str, tuple[frozenset[str] | None, frozenset[str], tuple[str, ...]]] = {
    "price": (
        None,
        frozenset(),
        (
            "For what I paid, it is [a great deal].",
            "It was [cheaper than the store brand] and works just as well.",
            "Honestly it feels [overpriced for what you get].",
        ),
    ),
    "quality": (
        None,
        frozenset(),
        (
            "The build feels [solid and well made].",
            "Up close you can tell it is [cheaply made].",
            "It is clearly made from [high quality materials].",
        ),
    ),
    "durability": (
        None,
        frozenset(),
        (
            "After six months of daily use it is [still going strong].",
            "Mine [broke after two weeks], which was disappointing.",
            "It has [held up really well] so far.",
        ),
    ),
    "packaging": (
        None,
        frozenset(),
        (
            "It arrived in [a sturdy, well padded box].",
            "The [packaging was torn] when it was delivered.",
            "Everything came [neatly packed] with no loose parts.",
        ),
    ),
    "delivery": (
        None,
        frozenset(),
        (
            "The order [arrived two days early].",
            "Shipping [took almost three weeks].",
            "The parcel [showed up right on time].",
        ),
    ),
    "ease of use": (
        None,
        _NOT_OPERATED,
        (
            "It is [very easy to use] right out of the box.",
            "The controls are [confusing at first].",
            "Even my kids find it [simple to operate].",
        ),
    ),
    "appearance": (
        None,
        frozenset(),
        (
            "It [looks sleek and modern] on the shelf.",
            "The finish is [really pretty in person].",
            "It looks [a bit plain], but that is fine.",
        ),
    ),
    "size": (
        None,
        frozenset(),
        (
            "It is [smaller than I expected] from the photos.",
            "The size is [just right for my space].",
            "It is [bulkier than it looks] online.",
        ),
    ),
    "weight": (
        None,
        frozenset(),
        (
            "It is [light enough to carry around] all day.",
            "It is [surprisingly heavy] for its size.",
            "At [barely a pound], it is easy to move.",
        ),
    ),
    "color": (
        None,
        frozenset(),
        (
            "The [color is exactly as pictured].",
            "The shade is [more faded than the photos].",
            "I love the [bright, vivid color].",
        ),
    ),
    "instructions": (
        None,
        _NOT_OPERATED,
        (
            "The [instructions were clear] and short.",
            "The manual is [hard to follow].",
            "It came with [no instructions at all].",
        ),
    ),
    "customer service": (
        None,
        frozenset(),
        (
            "The seller's [support team replied within an hour].",
            "[Customer service was unhelpful] when I asked for a refund.",
            "The [seller sent a free replacement] without any hassle.",
        ),
    ),
    "noise": (
        _POWERED,
        frozenset(),
        (
            "It runs [quietly enough to use at night].",
            "It is [louder than I would like].",
            "There is [barely any noise] when it is on.",
        ),
    ),
    "smell": (
        None,
        frozenset(),
        (
            "There was [a strong chemical smell] out of the box.",
            "It has [no odor at all].",
            "The [plastic smell faded after a day].",
        ),
    ),
    "cleaning": (
        _WIPEABLE,
        frozenset(),
        (
            "It is [easy to wipe clean].",
            "Cleaning it is [a real chore].",
            "It [cleans up in seconds] with a damp cloth.",
        ),
    ),
    "comfort": (
        _WORN_OR_SLEPT_ON,
        frozenset(),
        (
            "It is [really comfortable], even after hours.",
            "It feels [stiff and uncomfortable] at first.",
            "It is [soft and cozy].",
        ),
    ),
    "setup": (
        _ASSEMBLED,
        frozenset(),
        (
            "Setup [took less than five minutes].",
            "It was [tricky to assemble] without a second person.",
            "It was [ready to go straight out of the box].",
        ),
    ),
}

_BRACKET = re.compile(r"\[([^\]]+)\]")


def fitting_aspects(category: str) -> list[str]:
    """Aspects a review of a product of ``category`` may talk about (sorted)."""
    return sorted(
        aspect
        for aspect, (only, never, _) in ASPECTS.items()
        if (only is None or category in only) and category not in never
    )


def split_sentence(marked: str) -> tuple[str, str]:
    """``"It is [soft]."`` -> (``"It is soft."``, ``"soft"``)."""
    match = _BRACKET.search(marked)
    if match is None:
        raise ValueError(f"no [keyphrase] in {marked!r}")
    return _BRACKET.sub(r"\1", marked), match.group(1)


# Aspects a single review sentence can blur together: never one covered and the other offered
# as a wrong choice, and never two of them in one review.
RELATED_ASPECTS = (
    {"setup", "ease of use", "instructions"},
    {"quality", "durability"},
    {"delivery", "packaging"},
    {"appearance", "color"},
    {"size", "weight"},
)


def build_review(
    rng: random.Random, category: str, k: int
) -> tuple[list[str], list[tuple[str, str]]]:
    """``k`` aspects from distinct related-groups and one sentence each: (aspects, [(sentence,
    keyphrase)])."""
    chosen: list[str] = []
    for aspect in rng.sample(fitting_aspects(category), len(fitting_aspects(category))):
        if not any(related(aspect, a) for a in chosen):
            chosen.append(aspect)
        if len(chosen) == k:
            break
    sentences = [split_sentence(rng.choice(ASPECTS[a][2])) for a in chosen]
    return chosen, sentences


def related(a: str, b: str) -> bool:
    return a == b or any(a in g and b in g for g in RELATED_ASPECTS)
