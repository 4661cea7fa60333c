"""The instruction-following generator: deterministic, the bundled file is its output, its
reference answers do what the prompts ask, and the categories are the loader's."""

from __future__ import annotations

from common.data.bundled import bundled_path
from common.data.prompts import load_prompts
from tools.samplegen.instruct import CATEGORY_NAMES, instruct_items, instruct_rows


def test_categories_are_the_documented_six():
    # tests/common/data/test_instruct_sample.py checks the bundled file has each of them
    assert CATEGORY_NAMES == (
        "product_description",
        "comparison",
        "how_to",
        "summary",
        "email",
        "list",
    )


def test_generator_is_deterministic_and_matches_the_file():
    rows = instruct_rows(0)
    assert rows == instruct_rows(0) and rows != instruct_rows(1)
    on_disk = [ex.prompt for ex in load_prompts(bundled_path("instruct_sample"))]
    assert [r["prompt"] for r in rows] == on_disk == [it.prompt for it in instruct_items(0)]


def test_references_do_what_the_prompt_asks():
    for item, row in zip(instruct_items(0), instruct_rows(0), strict=True):
        ref = row["reference"]
        if item.category == "email":
            assert ref.startswith("Subject: ") and "\n\n" in ref
        if item.category in ("list", "how_to"):
            marked = [ln for ln in ref.split("\n") if ln[:2] in {"- "} or ln[:1].isdigit()]
            expected = int(item.slots["k"]) if item.category == "list" else len(item.slots["steps"])
            assert len(marked) == expected, ref
        if item.category == "summary":
            assert len(ref.split()) < len(item.slots["review"].split()) + 15
