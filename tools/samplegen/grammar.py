"""English helpers for the templates: articles, plurals, "a, b and c" lists."""

from __future__ import annotations


def is_plural(name: str) -> bool:
    return name.endswith("s") and not name.endswith("ss")


def with_article(name: str) -> str:
    """``name`` with its indefinite article ("an electric kettle", "tennis balls")."""
    if is_plural(name):
        return name
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def plural(name: str) -> str:
    if is_plural(name):  # "tennis balls"
        return name
    return name + ("es" if name.endswith(("sh", "ch", "x", "ss")) else "s")


def join_and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
