"""Hand-written ELI5-style explanations of everyday products, each backed by two short
documents; every claim is a paraphrase of one sentence of the document it cites.

The topics are data (``data/eli5_topics.json``: question, documents with title and text,
claims with the index of the supporting document); this module reads them into tuples.
"""

from __future__ import annotations

import json
from pathlib import Path

TOPICS_FILE = Path(__file__).parent / "data" / "eli5_topics.json"


def _load() -> tuple[tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, int], ...]], ...]:
    topics = json.loads(TOPICS_FILE.read_text(encoding="utf-8"))
    return tuple(
        (
            t["question"],
            tuple((d["title"], d["text"]) for d in t["documents"]),
            tuple((c["claim"], c["doc"]) for c in t["claims"]),
        )
        for t in topics
    )


# (question, [(title, text), (title, text)], [(claim, index of the supporting doc)])
ELI5_TOPICS = _load()
