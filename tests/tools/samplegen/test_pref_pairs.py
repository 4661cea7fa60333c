"""The preference-pair generator: every rejected kind per prompt, deterministic in the seed,
chosen and rejected as their kind says, prompts from the bundled sample; the bundled file is
its seed-0 output."""

from __future__ import annotations

from collections import Counter

from common.rewards.pref_pairs import REJECT_KINDS, read_pref_pairs
from tools.samplegen.pref_pairs import generate_pref_pairs, main


def test_pairs_cover_every_kind_and_are_deterministic():
    pairs = generate_pref_pairs(seed=3, n_prompts=12)
    assert len(pairs) == 12 * len(REJECT_KINDS)
    assert Counter(p.kind for p in pairs) == {k: 12 for k in REJECT_KINDS}
    assert len({p.category for p in pairs}) == 6  # a small subset still has every category
    assert pairs == generate_pref_pairs(seed=3, n_prompts=12)
    assert pairs != generate_pref_pairs(seed=4, n_prompts=12)
    assert all(p.chosen != p.rejected and p.chosen.strip() for p in pairs)
    echo = [p for p in pairs if p.kind == "echo"]
    assert all(p.prompt in p.rejected for p in echo)
    truncated = [p for p in pairs if p.kind == "truncated"]
    assert all(len(p.rejected.split()) < len(p.chosen.split()) for p in truncated)


def test_pairs_come_from_the_bundled_prompts():
    from common.data import load_dataset

    bundled = {ex.prompt for ex in load_dataset("instruct", None)}
    assert {p.prompt for p in generate_pref_pairs(n_prompts=30)} <= bundled


def test_bundled_file_is_the_seed_0_output_and_the_cli_writes_other_seeds(tmp_path):
    assert read_pref_pairs() == generate_pref_pairs(seed=0)
    out = tmp_path / "pairs_s3.jsonl.gz"
    assert main(["--seed", "3", "--out", str(out)]) == 0
    assert read_pref_pairs(out) == generate_pref_pairs(seed=3)
