"""Template writer of good answers to the instruction-following prompts: on topic, in the
requested format (a list, an email with subject, greeting and sign-off...), 30-90 words;
phrasing varies with the ``random.Random`` it is given."""

from __future__ import annotations

import random
import re
from typing import Any

from tools.samplegen.catalog import BY_NAME, Category
from tools.samplegen.grammar import join_and, lower_first, plural
from tools.samplegen.instruct_prompts import CATEGORY_NAMES, InstructItem
from tools.samplegen.instruct_topics import (
    AUDIENCE_PHRASE,
    BUYING_POINTS,
    CARE_TIPS,
    HOBBIES,
    SENDERS,
)


def _numbered(rng: random.Random, lines: list[str]) -> str:
    style = rng.choice(("{i}. {s}", "{i}) {s}", "- {s}"))
    return "\n".join(style.format(i=i, s=s) for i, s in enumerate(lines, start=1))


def _describe(rng: random.Random, s: dict[str, Any]) -> str:
    cat = BY_NAME[s["name"]]
    who = AUDIENCE_PHRASE[s["audience"]]
    details = join_and([f"the {a}" for a in cat.attributes])
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
            f"Both are good {plural(cat.name)}, but they suit different needs.",
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
    points = join_and(list(s["points"]))
    return rng.choice(
        (
            "The reviewer comments on the {a} of the {n}: {p}.",
            "In short, the review of the {n} covers its {a}, saying: {p}.",
            "Summary: the customer's main points about the {n} are {p}.",
        )
    ).format(a=join_and(list(s["aspects"])), n=s["name"], p=points)


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
            f"Price quote request: {plural(n)}",
            "Hello,",
            f"We would like to order {s['count']} {plural(n)} and would be grateful for a "
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


def _what_it_is(cat: Category) -> str:
    """The definition without its subject: "a small appliance that boils water..."."""
    match = re.match(r"^.*? (?:is|are) (.*)$", cat.definition)
    return match.group(1) if match else lower_first(cat.definition)


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
