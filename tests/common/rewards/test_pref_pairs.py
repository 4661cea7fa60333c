"""The bundled preference pairs as the runtime reads them: every kind per prompt, subsets
that cover every category with groups renumbered, and bad rows named by file and line."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from common.data.errors import DataFormatError
from common.rewards.pref_pairs import REJECT_KINDS, load_pref_pairs, read_pref_pairs


def test_bundled_pairs_have_every_kind_for_each_of_the_150_prompts():
    pairs = read_pref_pairs()
    assert len(pairs) == 150 * len(REJECT_KINDS)
    assert Counter(p.kind for p in pairs) == {k: 150 for k in REJECT_KINDS}
    assert sorted({p.group for p in pairs}) == list(range(150))
    assert all(p.chosen != p.rejected and p.chosen.strip() for p in pairs)
    assert load_pref_pairs() == pairs


def test_bundled_pairs_come_from_the_bundled_prompts():
    from common.data import load_dataset

    prompts = [ex.prompt for ex in load_dataset("instruct", None)]
    by_group = {p.group: p.prompt for p in read_pref_pairs()}
    assert [by_group[g] for g in range(150)] == prompts  # group = row of instruct_sample


def test_subset_takes_categories_in_turn_and_renumbers_groups():
    pairs = read_pref_pairs()
    subset = load_pref_pairs(n_prompts=12)
    assert len(subset) == 12 * len(REJECT_KINDS)
    assert sorted({p.group for p in subset}) == list(range(12))
    first = {}
    for p in subset:
        first.setdefault(p.group, p)
    cats = [first[g].category for g in range(12)]
    six = list(dict.fromkeys(p.category for p in pairs))  # file order of the categories
    assert cats == six + six  # one prompt of each category in turn, twice
    # group 0 is the first prompt of the first category; group 6 its second prompt
    by_old = {p.prompt: p.group for p in pairs}
    assert by_old[first[0].prompt] == 0
    assert by_old[first[6].prompt] == min(
        p.group for p in pairs if p.category == six[0] and p.group > 0
    )
    # texts are the bundled ones, only the group changes
    texts = {(p.prompt, p.kind): (p.chosen, p.rejected) for p in pairs}
    assert all(texts[(p.prompt, p.kind)] == (p.chosen, p.rejected) for p in subset)


def test_too_few_prompts_is_an_error():
    with pytest.raises(ValueError, match="at least 2 prompts"):
        load_pref_pairs(n_prompts=1)


def _write(path, rows):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)


def test_bad_rows_name_file_line_and_allowed_values(tmp_path):
    good = {
        "prompt": "p",
        "chosen": "c",
        "rejected": "r",
        "kind": "echo",
        "category": "email",
        "group": 0,
    }
    path = tmp_path / "pairs.jsonl.gz"
    _write(path, [good, {**good, "kind": "rude", "group": 1}])
    with pytest.raises(DataFormatError, match=r"pairs\.jsonl\.gz:2.*'rude'; allowed values: off_"):
        read_pref_pairs(path)
    _write(path, [good, {**good, "group": "1"}])
    with pytest.raises(DataFormatError, match=r"pairs\.jsonl\.gz:2.*group"):
        read_pref_pairs(path)
    _write(path, [good, {**good, "group": 1, "chosen": "d"}])
    assert [p.chosen for p in load_pref_pairs(path=path)] == ["c", "d"]
