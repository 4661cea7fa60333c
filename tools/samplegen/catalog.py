"""Hand-written product catalog: departments, fictional brands and product categories.

Each category carries a one-sentence definition (the gold of category explanations),
attributes that only it has (so "which category may have attribute X" has one right
answer), complementary categories, and title fragments for building product titles.
Brands are invented so no row states anything about a real company. The categories are data
(``data/categories.json``); departments, brands and the lookups are here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Category:
    name: str  # lowercase, as it appears in queries
    dept: str
    definition: str
    attributes: tuple[str, ...]
    complements: tuple[str, ...]
    features: tuple[str, ...]  # title fragments placed before the display name

    @property
    def title(self) -> str:
        return " ".join(_TITLE_WORDS.get(w, w[:1].upper() + w[1:]) for w in self.name.split())


_TITLE_WORDS = {"usb": "USB", "t-shirt": "T-Shirt"}


# department -> (label used in "Which of the following products is a ...?", brands)
DEPARTMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kitchen_appliance": ("kitchen appliance", ("Kitchora", "Brewly", "Heatwell")),
    "kitchenware": ("piece of kitchenware", ("Cuisento", "Oakhaven", "Panmaster")),
    "electronics": ("consumer electronics product", ("Voltra", "Sonique", "Pixelon")),
    "outdoor": ("piece of outdoor gear", ("Northpeak", "Trailform", "Summitra")),
    "sports": ("piece of sports equipment", ("Fitcore", "Courtline", "Stridex")),
    "apparel": ("clothing item or accessory", ("Urbanwear", "Loomline", "Drizzlewear")),
    "home": ("home furnishing product", ("Cozyhome", "Linenly", "Nestwell")),
    "personal_care": ("personal care product", ("Purelia", "Glowen", "Dentiq")),
    "pet": ("pet supply", ("Pawsome", "Furrow", "Barkley")),
    "office": ("office supply", ("Inkwise", "Papyra", "Deskmate")),
    "toys": ("toy or game", ("Playnest", "Puzzlewood", "Gamebox")),
    "tools": ("hand or power tool", ("Ironclad", "Toolwright", "Forgeline")),
}

CATEGORIES_FILE = Path(__file__).parent / "data" / "categories.json"


def _load_categories() -> tuple[Category, ...]:
    """The hand-written categories (``data/categories.json``), lists read as tuples."""
    rows = json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))
    return tuple(
        Category(
            r["name"],
            r["dept"],
            r["definition"],
            tuple(r["attributes"]),
            tuple(r["complements"]),
            tuple(r["features"]),
        )
        for r in rows
    )


CATEGORIES: tuple[Category, ...] = _load_categories()

BY_NAME: dict[str, Category] = {c.name: c for c in CATEGORIES}

COLORS: tuple[str, ...] = ("black", "white", "red", "navy blue", "green", "grey", "pink", "beige")
AUDIENCES: tuple[str, ...] = ("women", "men", "kids", "travel", "beginners", "small spaces")

# Pantry items for "total quantity" questions: (display name, noun, unit kind)
PANTRY_BRANDS: tuple[str, ...] = ("Pantryfield", "Harvest Lane", "Goldgrain")
PANTRY_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("Roasted Almonds", "almonds", "ounce"),
    ("Basmati Rice", "rice", "ounce"),
    ("Dark Chocolate Bar", "chocolate", "ounce"),
    ("Rolled Oats", "oats", "ounce"),
    ("Instant Noodles", "noodles", "ounce"),
    ("Ground Coffee", "coffee", "ounce"),
    ("Green Tea Bags", "tea bags", "count"),
    ("Paper Napkins", "napkins", "count"),
    ("Granola Bars", "granola bars", "count"),
    ("Facial Tissues", "tissues", "count"),
)


# Departments whose products a shopper could reasonably file under the given one: never used
# as wrong choices for it, so "which of these is a kitchen appliance" has one right answer.
CONFUSABLE: dict[str, frozenset[str]] = {
    "kitchen_appliance": frozenset({"kitchenware", "electronics", "personal_care", "tools"}),
    "kitchenware": frozenset({"kitchen_appliance", "home"}),
    "electronics": frozenset({"kitchen_appliance", "personal_care", "tools", "home", "office"}),
    "outdoor": frozenset({"sports", "apparel", "home"}),
    "sports": frozenset({"outdoor", "apparel"}),
    "apparel": frozenset({"outdoor", "sports"}),
    "home": frozenset({"pet", "office", "kitchenware", "electronics", "outdoor"}),
    "personal_care": frozenset({"kitchen_appliance", "electronics"}),
    "pet": frozenset({"home"}),
    "office": frozenset({"home", "electronics", "toys"}),
    "toys": frozenset({"office"}),
    "tools": frozenset({"kitchen_appliance", "electronics"}),
}


def far_categories(*cats: Category) -> list[Category]:
    """Categories in departments that none of ``cats`` could be confused with, and that are
    not a complement of any of them (safe wrong answers)."""
    depts = {c.dept for c in cats}
    blocked = set(depts)
    for d in depts:
        blocked |= CONFUSABLE[d]
    near = {name for c in cats for name in c.complements} | {c.name for c in cats}
    return [
        c
        for c in CATEGORIES
        if c.dept not in blocked and c.name not in near and not (set(c.complements) & near)
    ]


def brands_of(category: Category) -> tuple[str, ...]:
    return DEPARTMENTS[category.dept][1]


def check_catalog() -> None:
    """Invariants the generators rely on for correct gold answers."""
    seen: dict[str, str] = {}
    for cat in CATEGORIES:
        for attr in cat.attributes:
            if attr in seen:
                raise AssertionError(f"attribute {attr!r} on both {seen[attr]} and {cat.name}")
            seen[attr] = cat.name
        for comp in cat.complements:
            if comp not in BY_NAME:
                raise AssertionError(f"{cat.name}: unknown complement {comp!r}")
        if cat.dept not in DEPARTMENTS or cat.dept not in CONFUSABLE:
            raise AssertionError(f"{cat.name}: unknown department {cat.dept!r}")
