"""Generated (premise, hypothesis, entailed) pairs for training the offline NLI proxy.

No NLI model or NLI data set can be downloaded on the development machines, so the default
entailment scorer (:class:`common.rewards.nli.embedding.EmbeddingNLI`) is trained on pairs this module
makes from a small synthetic encyclopedic corpus. A premise is a short "document" (a title
line plus 3-5 fact sentences). Hypotheses are

- entailed: a premise sentence copied verbatim, shortened to one of its clauses, or
  paraphrased by a second template that states the same fact;
- not entailed: a fact from another premise, the premise fact negated, the premise fact with
  one entity or number swapped, or a new fact about an entity of the premise (neutral).

Roughly half the pairs are entailed. Everything is drawn from one ``random.Random(seed)``, so
the pairs are a pure function of ``(n_premises, seed)``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST = (
    "Anna Maria John Peter Laura David Sofia Marco Elena Lucas Hannah Omar Yuki Priya Carlos "
    "Ingrid Tomas Amara Chen Fatima Viktor Nadia Samuel Clara Rafael Mei Jonas Leila Pavel Rosa"
).split()
LAST = (
    "Keller Novak Silva Haddad Moreau Tanaka Okafor Lindqvist Rossi Kowalski Brennan Duarte "
    "Petrov Nakamura Fischer Alvarez Osei Larsen Costa Varga Hughes Mendes Sato Ibrahim Weber"
).split()
CITY = (
    "Lisbon Krakow Osaka Nairobi Lyon Bergen Porto Tampere Valencia Graz Dundee Curitiba "
    "Mombasa Sapporo Ghent Malmo Perth Quebec Bologna Tartu Cordoba Leipzig Izmir Hobart"
).split()
COUNTRY = (
    "Portugal Poland Japan Kenya France Norway Finland Spain Austria Scotland Brazil Belgium "
    "Sweden Australia Canada Italy Estonia Argentina Germany Turkey Chile Ireland Vietnam"
).split()
ORG_A = "Northwind Bluestone Silverline Redwood Ironbridge Greenfield Brightwater Oakridge".split()
ORG_B = "Labs Press Motors Records Foods Airlines Bank Institute".split()
WORK_A = "Silent Winter Glass Hollow Distant Golden Broken Quiet Northern Paper".split()
WORK_B = "River Garden Harbor Mirror Letters Orchard Lantern Bridge Voices Tides".split()
PRIZE = "Hartley Prize|Meridian Medal|Corvin Award|Aster Prize|Halden Medal".split("|")
THING = "tower|bridge|cathedral|stadium|lighthouse|museum|dam|observatory".split("|")
RIVER = "Vessa|Oril|Tamber|Lune|Karsk|Emmer|Dravo|Silt".split("|")
INSTR = "violin|piano|cello|guitar|flute|trumpet".split("|")


def _person(r: random.Random) -> str:
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def _org(r: random.Random) -> str:
    return f"{r.choice(ORG_A)} {r.choice(ORG_B)}"


def _work(r: random.Random) -> str:
    return f"The {r.choice(WORK_A)} {r.choice(WORK_B)}"


SLOT_MAKERS = {
    "p": _person,
    "p2": _person,
    "c": lambda r: r.choice(CITY),
    "k": lambda r: r.choice(COUNTRY),
    "o": _org,
    "w": _work,
    "z": lambda r: r.choice(PRIZE),
    "t": lambda r: r.choice(THING),
    "v": lambda r: r.choice(RIVER),
    "i": lambda r: r.choice(INSTR),
    "y": lambda r: str(r.randint(1820, 2015)),
    "n": lambda r: str(r.choice([r.randint(12, 99), r.randint(100, 990), r.randint(1000, 9000)])),
}


@dataclass(frozen=True)
class FactTemplate:
    """One fact type: its base sentence, sentences it entails (paraphrases and clauses), and
    its negation. Slots are ``{p}``, ``{c}``, ``{y}``... filled from :data:`SLOT_MAKERS`."""

    base: str
    entailed: tuple[str, ...]
    negated: str


TEMPLATES = (
    FactTemplate(
        "{p} was born in {c} in {y}.",
        ("{p} was born in {c}.", "{p} was born in {y}.", "{c} is the birthplace of {p}."),
        "{p} was not born in {c}.",
    ),
    FactTemplate(
        "{p} founded {o} in {c} in {y}.",
        ("{o} was founded by {p}.", "{o} was founded in {y}.", "{p} is the founder of {o}."),
        "{p} did not found {o}.",
    ),
    FactTemplate(
        "{w} is a novel by {p}, published in {y}.",
        ("{p} wrote {w}.", "{w} was published in {y}.", "{w} was written by {p}."),
        "{w} was never written by {p}.",
    ),
    FactTemplate(
        "The {t} in {c} is {n} metres tall.",
        ("The {t} in {c} has a height of {n} metres.", "There is a {t} in {c}."),
        "The {t} in {c} is not {n} metres tall.",
    ),
    FactTemplate(
        "{c} has a population of about {n} thousand people.",
        ("About {n} thousand people live in {c}.",),
        "{c} does not have a population of {n} thousand people.",
    ),
    FactTemplate(
        "{o} is headquartered in {c}, {k}.",
        ("The headquarters of {o} are in {c}.", "{o} is based in {k}."),
        "{o} is not headquartered in {c}.",
    ),
    FactTemplate(
        "{p} won the {z} in {y} for work on {w}.",
        ("{p} won the {z}.", "{p} received the {z} in {y}.", "The {z} went to {p} in {y}."),
        "{p} never won the {z}.",
    ),
    FactTemplate(
        "The {v} river flows through {k} for {n} kilometres.",
        ("The {v} river is {n} kilometres long in {k}.", "The {v} river flows through {k}."),
        "The {v} river does not flow through {k}.",
    ),
    FactTemplate(
        "{p} became mayor of {c} in {y} and served for {n} days.",
        ("{p} was mayor of {c}.", "{p} was elected mayor of {c} in {y}."),
        "{p} was never mayor of {c}.",
    ),
    FactTemplate(
        "{p} plays the {i} with {p2}, who studied in {c}.",
        ("{p} plays the {i}.", "{p2} studied in {c}.", "{p} and {p2} play music together."),
        "{p} does not play the {i}.",
    ),
    FactTemplate(
        "{p} married {p2} in {c} in {y}.",
        ("{p} and {p2} married in {y}.", "{p2} is married to {p}.", "{p} married {p2}."),
        "{p} never married {p2}.",
    ),
    FactTemplate(
        "The {t} of {c} was completed in {y} and cost {n} million dollars.",
        ("The {t} of {c} was completed in {y}.", "The {t} of {c} cost {n} million dollars."),
        "The {t} of {c} was not completed in {y}.",
    ),
)


def _slots(template: FactTemplate) -> list[str]:
    text = " ".join((template.base, template.negated, *template.entailed))
    return sorted({s for s in SLOT_MAKERS if "{" + s + "}" in text})


def _fill(r: random.Random, template: FactTemplate) -> dict[str, str]:
    values = {s: SLOT_MAKERS[s](r) for s in _slots(template)}
    if "p2" in values:
        while values["p2"] == values["p"]:
            values["p2"] = _person(r)
    return values


def _swap_one(r: random.Random, template: FactTemplate, values: dict[str, str]) -> dict[str, str]:
    """The same fact with one slot given a different value: the hardest negatives."""
    slot = r.choice([s for s in _slots(template) if s in template.base])
    swapped = dict(values)
    while swapped[slot] == values[slot]:
        swapped[slot] = SLOT_MAKERS[slot](r)
    return swapped


@dataclass(frozen=True)
class NLIPair:
    premise: str
    hypothesis: str
    entailed: bool
    kind: str  # how the hypothesis was made, for per-kind accuracy
    group: int  # premise index, so train/held-out splits never share a premise


def generate_pairs(n_premises: int = 600, seed: int = 0, per_premise: int = 4) -> list[NLIPair]:
    """``n_premises * per_premise`` pairs, half entailed, in a deterministic order."""
    r = random.Random(seed)
    docs: list[list[tuple[FactTemplate, dict[str, str]]]] = []
    for _ in range(n_premises):
        facts = [(t, _fill(r, t)) for t in r.sample(TEMPLATES, r.randint(3, 5))]
        docs.append(facts)

    pairs: list[NLIPair] = []
    for g, facts in enumerate(docs):
        title = facts[0][1].get("p") or facts[0][1].get("c") or "Notes"
        premise = f"Title: {title}\n" + " ".join(t.base.format(**v) for t, v in facts)
        for j in range(per_premise):
            t, v = r.choice(facts)
            if j % 2 == 0:
                kind = r.choice(["copy", "paraphrase", "paraphrase"])
                hyp = t.base.format(**v) if kind == "copy" else r.choice(t.entailed).format(**v)
                pairs.append(NLIPair(premise, hyp, True, kind, g))
                continue
            kind = r.choice(["other", "negated", "swapped", "swapped", "neutral"])
            if kind == "other":
                ot, ov = r.choice(docs[(g + r.randint(1, n_premises - 1)) % n_premises])
                hyp = r.choice((ot.base,) + ot.entailed).format(**ov)
            elif kind == "negated":
                hyp = t.negated.format(**v)
            elif kind == "swapped":
                sv = _swap_one(r, t, v)
                slot = next(s for s in sv if sv[s] != v[s])
                # only clauses that mention the swapped slot become false
                forms = [f for f in (t.base,) + t.entailed if "{" + slot + "}" in f]
                hyp = r.choice(forms).format(**sv)
            else:  # a fact about a premise entity that the premise does not state
                used = {ft for ft, _ in facts}
                nt = r.choice([x for x in TEMPLATES if x not in used])
                nv = _fill(r, nt)
                shared = {k: v[k] for k in nv if k in v}
                hyp = nt.base.format(**{**nv, **shared})
            pairs.append(NLIPair(premise, hyp, False, kind, g))
    return pairs
