"""A small hand-written EN -> DE/ES/FR lexicon for product titles and descriptions.

Titles are built as comma-separated attribute lists ("Brand Noun, Material, Size, Color") so
no adjective has to agree with a noun; the one-sentence descriptions use each noun's
grammatical gender for the article and agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES: dict[str, str] = {"de": "German", "es": "Spanish", "fr": "French"}


@dataclass(frozen=True)
class Noun:
    en: str
    de: tuple[str, str]  # (word, gender m/f/n)
    es: tuple[str, str]
    fr: tuple[str, str]
    materials: tuple[str, ...]
    sizes: tuple[str, ...]


NOUNS: tuple[Noun, ...] = (
    Noun(
        "Water Bottle",
        ("Trinkflasche", "f"),
        ("botella de agua", "f"),
        ("gourde", "f"),
        ("stainless steel", "plastic", "glass"),
        ("500 ml", "750 ml", "1 L"),
    ),
    Noun(
        "Coffee Mug",
        ("Kaffeebecher", "m"),
        ("taza de café", "f"),
        ("tasse à café", "f"),
        ("ceramic", "glass", "stainless steel"),
        ("350 ml", "450 ml"),
    ),
    Noun(
        "Cutting Board",
        ("Schneidebrett", "n"),
        ("tabla de cortar", "f"),
        ("planche à découper", "f"),
        ("wood", "bamboo", "plastic"),
        ("30 x 20 cm", "40 x 30 cm"),
    ),
    Noun(
        "Backpack",
        ("Rucksack", "m"),
        ("mochila", "f"),
        ("sac à dos", "m"),
        ("polyester", "nylon", "leather"),
        ("20 L", "30 L"),
    ),
    Noun(
        "Wallet",
        ("Geldbörse", "f"),
        ("cartera", "f"),
        ("portefeuille", "m"),
        ("leather", "nylon"),
        ("12 x 9 cm",),
    ),
    Noun(
        "Phone Case",
        ("Handyhülle", "f"),
        ("funda para móvil", "f"),
        ("coque de téléphone", "f"),
        ("silicone", "leather", "plastic"),
        ("15.5 cm", "17 cm"),
    ),
    Noun(
        "Desk Lamp",
        ("Schreibtischlampe", "f"),
        ("lámpara de escritorio", "f"),
        ("lampe de bureau", "f"),
        ("aluminium", "plastic", "wood"),
        ("40 cm", "55 cm"),
    ),
    Noun(
        "Frying Pan",
        ("Bratpfanne", "f"),
        ("sartén", "f"),
        ("poêle", "f"),
        ("stainless steel", "aluminium", "cast iron"),
        ("24 cm", "28 cm"),
    ),
    Noun(
        "Bath Towel",
        ("Badetuch", "n"),
        ("toalla de baño", "f"),
        ("serviette de bain", "f"),
        ("cotton", "bamboo"),
        ("70 x 140 cm", "90 x 160 cm"),
    ),
    Noun(
        "Pillow",
        ("Kopfkissen", "n"),
        ("almohada", "f"),
        ("oreiller", "m"),
        ("cotton", "polyester"),
        ("40 x 80 cm", "50 x 70 cm"),
    ),
    Noun(
        "Storage Box",
        ("Aufbewahrungsbox", "f"),
        ("caja de almacenamiento", "f"),
        ("boîte de rangement", "f"),
        ("plastic", "wood", "bamboo"),
        ("10 L", "30 L"),
    ),
    Noun(
        "Dog Leash",
        ("Hundeleine", "f"),
        ("correa para perro", "f"),
        ("laisse pour chien", "f"),
        ("nylon", "leather"),
        ("1.5 m", "2 m"),
    ),
    Noun(
        "Yoga Mat",
        ("Yogamatte", "f"),
        ("esterilla de yoga", "f"),
        ("tapis de yoga", "m"),
        ("natural rubber", "cork"),
        ("183 x 61 cm",),
    ),
    Noun(
        "Umbrella",
        ("Regenschirm", "m"),
        ("paraguas", "m"),
        ("parapluie", "m"),
        ("polyester", "nylon"),
        ("100 cm", "120 cm"),
    ),
    Noun(
        "Kitchen Knife",
        ("Küchenmesser", "n"),
        ("cuchillo de cocina", "m"),
        ("couteau de cuisine", "m"),
        ("stainless steel", "ceramic"),
        ("15 cm", "20 cm"),
    ),
    Noun(
        "Teapot",
        ("Teekanne", "f"),
        ("tetera", "f"),
        ("théière", "f"),
        ("ceramic", "glass", "cast iron"),
        ("1 L", "1.2 L"),
    ),
    Noun(
        "Laundry Basket",
        ("Wäschekorb", "m"),
        ("cesto de la ropa", "m"),
        ("panier à linge", "m"),
        ("bamboo", "plastic"),
        ("40 L", "60 L"),
    ),
    Noun(
        "Lunch Box",
        ("Brotdose", "f"),
        ("fiambrera", "f"),
        ("boîte à lunch", "f"),
        ("stainless steel", "plastic", "bamboo"),
        ("800 ml", "1.2 L"),
    ),
)

# material -> (EN title form, DE, ES, FR)
MATERIALS: dict[str, tuple[str, str, str, str]] = {
    "stainless steel": ("Stainless Steel", "Edelstahl", "acero inoxidable", "acier inoxydable"),
    "plastic": ("Plastic", "Kunststoff", "plástico", "plastique"),
    "glass": ("Glass", "Glas", "vidrio", "verre"),
    "ceramic": ("Ceramic", "Keramik", "cerámica", "céramique"),
    "wood": ("Wood", "Holz", "madera", "bois"),
    "bamboo": ("Bamboo", "Bambus", "bambú", "bambou"),
    "polyester": ("Polyester", "Polyester", "poliéster", "polyester"),
    "nylon": ("Nylon", "Nylon", "nailon", "nylon"),
    "leather": ("Leather", "Leder", "cuero", "cuir"),
    "cotton": ("Cotton", "Baumwolle", "algodón", "coton"),
    "silicone": ("Silicone", "Silikon", "silicona", "silicone"),
    "aluminium": ("Aluminium", "Aluminium", "aluminio", "aluminium"),
    "cast iron": ("Cast Iron", "Gusseisen", "hierro fundido", "fonte"),
    "natural rubber": ("Natural Rubber", "Naturkautschuk", "caucho natural", "caoutchouc naturel"),
    "cork": ("Cork", "Kork", "corcho", "liège"),
}

# color -> (EN, DE, ES, FR masculine, FR feminine)
COLORS: dict[str, tuple[str, str, str, str, str]] = {
    "black": ("Black", "Schwarz", "negro", "noir", "noire"),
    "white": ("White", "Weiß", "blanco", "blanc", "blanche"),
    "red": ("Red", "Rot", "rojo", "rouge", "rouge"),
    "blue": ("Blue", "Blau", "azul", "bleu", "bleue"),
    "green": ("Green", "Grün", "verde", "vert", "verte"),
    "grey": ("Grey", "Grau", "gris", "gris", "grise"),
    "yellow": ("Yellow", "Gelb", "amarillo", "jaune", "jaune"),
    "pink": ("Pink", "Rosa", "rosa", "rose", "rose"),
}

BRANDS: tuple[str, ...] = (
    "Northpeak",
    "Kitchora",
    "Cozyhome",
    "Voltra",
    "Oakhaven",
    "Pawsome",
    "Linenly",
    "Urbanwear",
)

_PACK = {"en": "Pack of {k}", "de": "{k}er-Pack", "es": "paquete de {k}", "fr": "lot de {k}"}


@dataclass(frozen=True)
class TitleSpec:
    brand: str
    noun: Noun
    material: str
    size: str
    color: str
    pack: int | None  # None: single item


def title(spec: TitleSpec, lang: str) -> str:
    """The product title in ``lang`` (``en``, ``de``, ``es``, ``fr``)."""
    mat = MATERIALS[spec.material]
    col = COLORS[spec.color]
    size = _size(spec.size, lang)
    if lang == "en":
        parts = [f"{spec.brand} {spec.noun.en}", mat[0], size, col[0]]
    elif lang == "de":
        parts = [f"{spec.brand} {spec.noun.de[0]}", mat[1], size, col[1]]
    elif lang == "es":
        parts = [f"{_cap(spec.noun.es[0])} {spec.brand}", mat[2], size, col[2]]
    elif lang == "fr":
        parts = [f"{_cap(spec.noun.fr[0])} {spec.brand}", mat[3], size, col[3]]
    else:
        raise ValueError(f"unknown language {lang!r}")
    if spec.pack:
        parts.append(_PACK[lang].format(k=spec.pack))
    return ", ".join(parts)


def description(spec: TitleSpec, lang: str) -> str:
    """A one-sentence description of the product in ``lang`` (``de``, ``es``, ``fr``)."""
    mat = MATERIALS[spec.material]
    col = COLORS[spec.color]
    size = _size(spec.size, lang)
    if lang == "de":
        word, gender = spec.noun.de
        art = "Eine" if gender == "f" else "Ein"
        return f"{art} {word} der Marke {spec.brand} aus {mat[1]} in {col[1]} ({size})."
    if lang == "es":
        word, gender = spec.noun.es
        art, made = ("Una", "hecha") if gender == "f" else ("Un", "hecho")
        return f"{art} {word} de la marca {spec.brand}, {made} de {mat[2]}, en color {col[2]} ({size})."
    if lang == "fr":
        word, gender = spec.noun.fr
        art = "Une" if gender == "f" else "Un"
        return f"{art} {word} de la marque {spec.brand} en {mat[3]}, de couleur {col[4]} ({size})."
    raise ValueError(f"no description template for {lang!r}")


def _size(size: str, lang: str) -> str:
    # German, Spanish and French write decimals with a comma: "1,2 L"
    return size if lang == "en" else size.replace(".", ",")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
