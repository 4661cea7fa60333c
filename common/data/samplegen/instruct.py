"""Instruction-following prompts in six categories (the bundled ``instruct_sample.jsonl``),
with a template writer of good responses.

Categories: ``product_description``, ``comparison``, ``how_to``, ``summary``, ``email`` and
``list``. Each prompt is built from slots (a catalog product, an audience, a hand-written
task with its steps, a generated customer review...) and kept as an :class:`InstructItem`,
so :func:`good_response` can write answers that actually do what the prompt asks: on topic,
in the requested format, 30-90 words. The sample's ``reference`` field is one such answer;
:mod:`common.rewards.pref_pairs` writes more of them (and corrupts them) to train the
project's preference reward model.

Everything is a pure function of ``seed``: one ``random.Random(seed)`` drives the prompts,
and every reference is written by its own ``random.Random`` seeded from (seed, row index).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from common.data.samplegen.catalog import AUDIENCES, BY_NAME, CATEGORIES, Category, brands_of
from common.data.samplegen.reviews import build_review, fitting_aspects

CATEGORY_NAMES = ("product_description", "comparison", "how_to", "summary", "email", "list")
PER_CATEGORY = 25

# audience as it reads after "for"/"aimed at"
AUDIENCE_PHRASE = {
    "women": "women",
    "men": "men",
    "kids": "kids",
    "travel": "frequent travellers",
    "beginners": "beginners",
    "small spaces": "people living in small spaces",
}

# Hand-written everyday tasks with correct steps (how-to prompts).
TASKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "descale an electric kettle",
        (
            "Fill the kettle halfway with equal parts water and white vinegar.",
            "Bring the mixture to a boil, switch the kettle off and let it sit for 20 minutes.",
            "Pour the mixture out and wipe away loose scale with a soft cloth.",
            "Rinse the kettle and boil fresh water twice before using it again.",
        ),
    ),
    (
        "season a cast iron frying pan",
        (
            "Wash the pan with warm water and dry it completely on the stove.",
            "Rub a thin layer of vegetable oil over every surface, inside and out.",
            "Wipe off the excess oil so that the pan looks almost dry.",
            "Bake the pan upside down at 230 degrees Celsius for one hour and let it cool.",
        ),
    ),
    (
        "set up a two-person dome tent",
        (
            "Clear a flat spot of stones and sticks and lay down the groundsheet.",
            "Spread the tent body over the groundsheet with the door facing away from the wind.",
            "Slide the poles through the sleeves and bend them into the corner grommets.",
            "Stake out the corners, add the rainfly and tighten the guy lines.",
        ),
    ),
    (
        "pack a hiking backpack",
        (
            "Put light, bulky items such as the sleeping bag at the bottom.",
            "Place the heaviest gear in the middle, close to your back.",
            "Keep rain gear and snacks near the top where you can reach them.",
            "Use the hip belt pockets for small essentials and adjust the straps before you leave.",
        ),
    ),
    (
        "clean a yoga mat",
        (
            "Mix a few drops of mild dish soap into a bowl of warm water.",
            "Wipe both sides of the mat with a soft cloth dipped in the mixture.",
            "Rinse the cloth and wipe the mat again with clean water.",
            "Hang the mat to air dry out of direct sunlight before rolling it up.",
        ),
    ),
    (
        "charge a power bank for the first time",
        (
            "Read the manual to find the input port and the recommended charger.",
            "Connect the power bank to a wall charger with a suitable USB cable.",
            "Leave it plugged in until all the indicator lights stay on.",
            "Unplug it and check the charge level before taking it on a trip.",
        ),
    ),
    (
        "wash a down sleeping bag",
        (
            "Use a front-loading washing machine on a gentle, cold cycle.",
            "Add a small amount of detergent made for down.",
            "Run an extra rinse cycle so that no soap is left in the filling.",
            "Tumble dry on low heat with two clean tennis balls to break up the clumps.",
        ),
    ),
    (
        "change the strings on a tennis racket",
        (
            "Cut out the old strings, starting from the centre of the racket.",
            "Mount the frame on a stringing machine and clamp it firmly.",
            "String the main strings first, pulling each one to the right tension.",
            "Weave in the cross strings, tie off the knots and trim the loose ends.",
        ),
    ),
    (
        "make pour-over coffee",
        (
            "Heat water to about 94 degrees Celsius and rinse the paper filter.",
            "Add 15 grams of medium-fine ground coffee to the filter.",
            "Pour a little water to let the coffee bloom for 30 seconds.",
            "Slowly pour the rest of the water in circles until you have about 250 millilitres.",
        ),
    ),
    (
        "brew loose leaf tea with a tea infuser",
        (
            "Fill the infuser about one third full with loose leaf tea.",
            "Heat fresh water to the temperature recommended for the tea.",
            "Place the infuser in the cup and pour the water over it.",
            "Steep for three to five minutes, then lift the infuser out.",
        ),
    ),
    (
        "care for a kitchen knife",
        (
            "Wash the knife by hand right after use and dry it at once.",
            "Cut on a wooden or plastic cutting board, never on glass or stone.",
            "Hone the edge with a honing steel every few uses.",
            "Store the knife in a block or on a magnetic strip, not loose in a drawer.",
        ),
    ),
    (
        "train a puppy to walk on a leash",
        (
            "Let the puppy wear its collar and leash indoors for short periods first.",
            "Reward the puppy with a treat whenever it walks beside you.",
            "Stop walking as soon as the leash gets tight and start again when it relaxes.",
            "Keep sessions short and practise a little every day.",
        ),
    ),
    (
        "start a morning running habit",
        (
            "Lay out your running shoes and clothes the night before.",
            "Begin with 20 minutes of easy running or walking three times a week.",
            "Warm up for five minutes and cool down with gentle stretches.",
            "Add a few minutes each week and keep a simple log of your runs.",
        ),
    ),
    (
        "organise a small home office desk",
        (
            "Clear everything off the desk and wipe it clean.",
            "Put back only the things you use every day, such as the lamp and notebook.",
            "Store cables, pens and paper in boxes or drawers.",
            "Spend two minutes tidying the desk at the end of each working day.",
        ),
    ),
    (
        "assemble a storage box shelf unit",
        (
            "Unpack all parts and check them against the list in the manual.",
            "Lay the side panels flat and fix the shelves to them with the screws provided.",
            "Attach the back panel to keep the frame square.",
            "Stand the unit up, secure it to the wall and slide the storage boxes in.",
        ),
    ),
)

# gift themes for list prompts: hobby -> catalog items that fit it
HOBBIES: dict[str, tuple[str, ...]] = {
    "hiking": ("hiking backpack", "water bottle", "rain jacket", "socks", "tent", "sleeping bag"),
    "tea": ("teapot", "tea infuser", "electric kettle", "coffee mug"),
    "coffee": ("coffee maker", "coffee mug", "electric kettle"),
    "cooking": ("frying pan", "kitchen knife", "cutting board", "air fryer", "blender"),
    "fitness": ("yoga mat", "dumbbell", "running shoes", "water bottle", "socks"),
    "tennis": ("tennis racket", "tennis balls", "socks", "water bottle"),
    "reading and writing": ("notebook", "ballpoint pen", "desk lamp", "scented candle"),
    "board games and puzzles": ("board game", "jigsaw puzzle", "storage box"),
    "DIY projects": ("cordless drill", "tape measure", "screwdriver set", "storage box"),
    "their dog": ("dog leash", "dog bed", "water bottle"),
}

SENDERS = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Riley")
NAMES = ("Laura", "David", "Sofia", "Marco", "Elena", "Omar", "Priya", "Jonas", "Clara", "Chen")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


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


def _is_plural(name: str) -> bool:
    return name.endswith("s") and not name.endswith("ss")


def _a(name: str) -> str:
    """``name`` with its indefinite article ("an electric kettle", "tennis balls")."""
    if _is_plural(name):
        return name
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _plural(name: str) -> str:
    if _is_plural(name):  # "tennis balls"
        return name
    return name + ("es" if name.endswith(("sh", "ch", "x", "ss")) else "s")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# ----------------------------------------------------------------------------- prompts


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
    ).format(a=_a(a.name), b=_a(b.name))
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
    ).format(r=review, n=_a(cat.name))
    slots = {
        "name": cat.name,
        "review": review,
        "aspects": aspects,
        "points": [kp for _, kp in sentences],
    }
    return InstructItem(prompt, "summary", "review", slots)


EMAIL_PURPOSES = (
    (
        "delay",
        "a customer named {r}",
        "to apologise that their {n} order will arrive {d} days late",
    ),
    ("quote", "a supplier", "asking for a price quote for {k} {ns}"),
    ("demo", "your team", "inviting them to a short demo of the new {p} on {day}"),
    ("refund", "a customer named {r}", "confirming that the refund for their {n} was approved"),
    ("thanks", "a customer named {r}", "thanking them for their five-star review of the {n}"),
)


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
        "ns": _plural(cat.name),
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
        ).format(k=k, x=_a(cat.name), n=cat.name)
        return InstructItem(prompt, "list", "care_tips", {"name": cat.name, "k": k})
    if index % 3 == 1:
        cat = rng.choice(CATEGORIES)
        prompt = rng.choice(
            (
                "List {k} things to consider when buying {x}.",
                "What are {k} things I should check before buying {x}? Answer as a list.",
            )
        ).format(k=k, x=_a(cat.name), n=cat.name)
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


# ----------------------------------------------------------------------------- responses


def _numbered(rng: random.Random, lines: list[str]) -> str:
    style = rng.choice(("{i}. {s}", "{i}) {s}", "- {s}"))
    return "\n".join(style.format(i=i, s=s) for i, s in enumerate(lines, start=1))


def _describe(rng: random.Random, s: dict[str, Any]) -> str:
    cat = BY_NAME[s["name"]]
    who = AUDIENCE_PHRASE[s["audience"]]
    details = _join([f"the {a}" for a in cat.attributes])
    verb = "are" if len(cat.attributes) > 1 else "is"
    return " ".join(
        (
            rng.choice(("Meet the {p}.", "Introducing the {p}.", "The {p} is here.")).format(
                p=s["product"]
            ),
            cat.definition,
            rng.choice(
                (
                    "Every detail, from {d} to the finish, is designed for everyday use.",
                    "It is easy to use, and {d} {v} clearly explained on the box.",
                    "We paid close attention to {d}, so it simply works.",
                )
            ).format(d=details, v=verb),
            rng.choice(
                (
                    "It is a great choice for {w}.",
                    "Made with {w} in mind, it is practical and easy to love.",
                    "Perfect for {w} who want quality without the fuss.",
                )
            ).format(w=who),
        )
    )


def _compare(rng: random.Random, s: dict[str, Any], item: InstructItem) -> str:
    if item.kind == "categories":
        a, b = BY_NAME[s["a"]], BY_NAME[s["b"]]
        return " ".join(
            (
                a.definition,
                b.definition,
                f"In short, they do different jobs, so pick the one that matches what you "
                f"need most, and check the {a.attributes[0]} of the {a.name} and the "
                f"{b.attributes[0]} of the {b.name} before you buy.",
            )
        )
    cat = BY_NAME[s["name"]]
    attr = cat.attributes[0]
    pick = rng.choice((s["a"], s["b"]))
    other = s["b"] if pick == s["a"] else s["a"]
    return " ".join(
        (
            f"Both are good {_plural(cat.name)}, but they suit different needs.",
            f"The {s['a']} model stands out for its design and everyday comfort, while the "
            f"{s['b']} model focuses on a different balance of size, weight and price.",
            f"Check the {attr} of each before deciding.",
            rng.choice(
                (
                    "For {w}, I would recommend the {p} {n}, because it is simpler to live "
                    "with; the {o} one is better if you have very specific needs.",
                    "For {w}, the {p} {n} is my pick: it covers the basics well, while the "
                    "{o} version is worth it only if its extras matter to you.",
                )
            ).format(w=AUDIENCE_PHRASE[s["audience"]], p=pick, n=cat.name, o=other),
        )
    )


def _steps(rng: random.Random, s: dict[str, Any]) -> str:
    steps = list(s["steps"])
    intro = rng.choice(("Here is how to {t}:", "To {t}, follow these steps:", "Steps to {t}:"))
    outro = rng.choice(("", "\n\nThat's it!", "\n\nTake your time with each step."))
    return intro.format(t=s["task"]) + "\n" + _numbered(rng, steps) + outro


def _summarize(rng: random.Random, s: dict[str, Any]) -> str:
    points = _join(list(s["points"]))
    return rng.choice(
        (
            "The reviewer comments on the {a} of the {n}: {p}.",
            "In short, the review of the {n} covers its {a}, saying: {p}.",
            "Summary: the customer's main points about the {n} are {p}.",
        )
    ).format(a=_join(list(s["aspects"])), n=s["name"], p=points)


def _write_email(rng: random.Random, s: dict[str, Any], purpose: str) -> str:
    n, r = s["name"], s["recipient"]
    subject, greeting, body = {
        "delay": (
            f"Your {n} order is delayed",
            f"Dear {r},",
            f"I am sorry to let you know that your {n} order will arrive about {s['days']} "
            f"days later than planned because of a delay at our warehouse. We will send you "
            f"the tracking number as soon as it ships. Thank you for your patience.",
        ),
        "quote": (
            f"Price quote request: {_plural(n)}",
            "Hello,",
            f"We would like to order {s['count']} {_plural(n)} and would be grateful for a "
            f"price quote, including delivery costs and the expected delivery time. Please "
            f"also let us know about any discounts for larger orders.",
        ),
        "demo": (
            f"Demo of the new {s['product']} on {s['day']}",
            "Hi team,",
            f"You are invited to a short demo of the new {s['product']} on {s['day']} at "
            f"10 am in the main meeting room. It will take about 30 minutes and there will "
            f"be time for questions. Please reply if you can join.",
        ),
        "refund": (
            "Your refund has been approved",
            f"Dear {r},",
            f"Good news: we received the {n} you returned and your refund has been approved. "
            f"The money should be back in your account within five business days. Thank you "
            f"for shopping with us.",
        ),
        "thanks": (
            "Thank you for your review",
            f"Dear {r},",
            f"Thank you so much for your five-star review of the {n}. We are very happy to "
            f"hear that you enjoy it, and your feedback helps other customers choose with "
            f"confidence.",
        ),
    }[purpose]
    signoff = rng.choice(("Best regards,", "Kind regards,", "Many thanks,"))
    return f"Subject: {subject}\n\n{greeting}\n\n{body}\n\n{signoff}\n{rng.choice(SENDERS)}"


CARE_TIPS = (
    "Read the care instructions that came with the {n} before first use.",
    "Clean the {n} regularly so that dirt does not build up.",
    "Store the {n} in a dry place away from direct sunlight.",
    "Check the {a} from time to time and fix small problems early.",
    "Do not push the {n} beyond what it is designed for.",
    "Keep the receipt and register the warranty in case something goes wrong.",
)
BUYING_POINTS = (
    "Your budget and how often you will use the {n}.",
    "The {a} and whether it fits your needs.",
    "The size and weight, and where you will store it.",
    "Recent customer reviews of the brand.",
    "The warranty and the return policy.",
)


def _what_it_is(cat: Category) -> str:
    """The definition without its subject: "a small appliance that boils water..."."""
    match = re.match(r"^.*? (?:is|are) (.*)$", cat.definition)
    return match.group(1) if match else _lower_first(cat.definition)


def _write_list(rng: random.Random, s: dict[str, Any], kind: str) -> str:
    k = int(s["k"])
    if kind == "gifts":
        names = rng.sample(HOBBIES[s["hobby"]], k)
        lines = [f"{BY_NAME[n].title}: {_what_it_is(BY_NAME[n])}" for n in names]
        intro = f"Here are {k} gift ideas for someone who loves {s['hobby']}:"
    else:
        cat = BY_NAME[s["name"]]
        pool = CARE_TIPS if kind == "care_tips" else BUYING_POINTS
        lines = [t.format(n=cat.name, a=rng.choice(cat.attributes)) for t in pool]
        lines = rng.sample(lines, k)
        intro = rng.choice(("Here are {k} {w}:", "Keep these {k} {w} in mind:")).format(
            k=k, w="tips" if kind == "care_tips" else "points"
        )
    return intro + "\n" + _numbered(rng, lines)


def good_response(item: InstructItem, rng: random.Random) -> str:
    """A response that does what ``item.prompt`` asks (on topic, right format, 30-90
    words); phrasing varies with ``rng``."""
    s = item.slots
    if item.category == "product_description":
        return _describe(rng, s)
    if item.category == "comparison":
        return _compare(rng, s, item)
    if item.category == "how_to":
        return _steps(rng, s)
    if item.category == "summary":
        return _summarize(rng, s)
    if item.category == "email":
        return _write_email(rng, s, item.kind)
    if item.category == "list":
        return _write_list(rng, s, item.kind)
    raise ValueError(f"unknown category {item.category!r}; allowed values: {CATEGORY_NAMES}")


def instruct_rows(seed: int = 0, per_category: int = PER_CATEGORY) -> list[dict[str, str]]:
    """The bundled sample: ``{"prompt", "category", "reference"}`` rows."""
    rows = []
    for i, item in enumerate(instruct_items(seed, per_category)):
        reference = good_response(item, random.Random(seed * 100_003 + i))
        rows.append({"prompt": item.prompt, "category": item.category, "reference": reference})
    return rows
