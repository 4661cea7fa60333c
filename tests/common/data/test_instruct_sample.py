"""The bundled instruction-following sample and the prompts loader's ``category`` field."""

from __future__ import annotations

import json
from collections import Counter

from common.data import load_dataset
from common.data.bundled import bundled_path
from common.data.prompts import load_prompts

# the six categories of the bundled sample (tools/samplegen/instruct_prompts.py)
CATEGORY_NAMES = ("product_description", "comparison", "how_to", "summary", "email", "list")


def test_category_becomes_meta_and_task_name(tmp_path):
    path = tmp_path / "p.jsonl"
    rows = [
        {"prompt": "Write an email.", "category": "email", "reference": "Dear Ann, ..."},
        {"prompt": "List 3 tips.", "category": "list", "task_name": "own_task"},
        {"prompt": "Hi"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    a, b, c = load_prompts(path)
    assert (a.task_name, a.meta["category"], a.meta["reference"]) == (
        "email",
        "email",
        "Dear Ann, ...",
    )
    assert (b.task_name, b.meta["category"]) == ("own_task", "list")  # task_name still wins
    assert c.task_name == "p" and "category" not in c.meta and c.gold is None


def test_instruct_kind_loads_the_bundled_sample_with_every_category():
    examples = load_dataset("instruct", None)
    counts = Counter(ex.meta["category"] for ex in examples)
    assert set(counts) == set(CATEGORY_NAMES) and min(counts.values()) >= 15, counts
    assert 140 <= len(examples) <= 160 and len({ex.prompt for ex in examples}) == len(examples)
    assert all(ex.gold is None and ex.task_name == ex.meta["category"] for ex in examples)
    assert all(len(ex.meta["reference"].split()) >= 20 for ex in examples)
    assert bundled_path("instruct_sample").stat().st_size < 300 * 1024


def test_prompts_kind_still_loads_the_old_sample():
    assert {ex.task_name for ex in load_dataset("prompts", None)} == {"open_ended"}
