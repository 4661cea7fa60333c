"""The reward set (common.rewards.reward_set): construction and its errors, the three routings'
masks, per-source and per-row restriction, one batch per scorer, noise, the LRU of resident
scorers, and the table's figures. Scores are checked against hand-computed values."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from common.data.types import Example
from common.rewards.base import RewardOutput, Scorer
from common.rewards.registry import SCORERS
from common.rewards.reward_set import ROUTINGS, RewardSet, ScoreTable


@SCORERS.register("test_recording_reward")
class RecordingReward(Scorer):
    """Scores ``len(output) / 10`` and records every batch it is called with."""

    def __init__(self, tag: str = "") -> None:
        self.tag = tag
        self.batches: list[list[str]] = []

    def score(
        self, prompts: Sequence[str], outputs: Sequence[str], golds: Sequence[Any]
    ) -> RewardOutput:
        self.batches.append(list(outputs))
        scores = np.array([len(o) / 10 for o in outputs], dtype=np.float64)
        return RewardOutput(self.name, scores, np.array([o == "" for o in outputs]))


def ex(metric: str = "x", **meta: Any) -> Example:
    return Example(prompt="q", gold=None, metric=metric, meta=meta)


LENGTHS = {
    "short": {"scorer": "length_reward", "target_words": 2},
    "long": {"scorer": "length_reward", "target_words": 4},
}


# ---- construction ---------------------------------------------------------------------------
def test_unknown_routing_names_the_key_and_the_allowed_values():
    with pytest.raises(ValueError) as err:
        RewardSet(["answer_format"], routing="per_row")
    assert str(err.value) == (
        "rewards.routing='per_row'; allowed values: " + ", ".join(ROUTINGS)
    ) and ROUTINGS == ("by_example", "all", "listed")


def test_unknown_metric_fails_at_construction_naming_the_allowed_values():
    with pytest.raises(KeyError) as err:
        RewardSet(["answer_format", "bleu5"], routing="all")
    msg = str(err.value)
    assert "rewards.names has unknown metric(s) ['bleu5']" in msg and "allowed values:" in msg
    assert "answer_format" in msg and "length_reward" in msg and "bleu4" in msg


def test_an_alias_to_an_unknown_scorer_fails_at_construction_too():
    with pytest.raises(
        KeyError, match=r"\['judge'\] \(through rewards.options.judge.scorer='nope'\)"
    ):
        RewardSet(["judge"], routing="all", options={"judge": {"scorer": "nope"}})


class Unregistered(RecordingReward):
    """Found only by its dotted path: never registered, sets no name of its own."""

    name = Scorer.name


UNREGISTERED = f"{__name__}:Unregistered"


def test_a_dotted_path_is_a_scorer_by_name_or_through_an_alias():
    rs = RewardSet(
        [UNREGISTERED, "mine"],
        routing="all",
        options={"mine": {"scorer": UNREGISTERED, "tag": "t"}},
    )
    table = rs.score([ex(), ex()], ["abc", ""])
    np.testing.assert_allclose(table.scores, [[0.3, 0.3], [0.0, 0.0]])
    assert rs.scorer(UNREGISTERED).name == UNREGISTERED and rs.scorer("mine").tag == "t"
    assert UNREGISTERED not in SCORERS.names()


@pytest.mark.parametrize(
    ("options", "key", "problem"),
    [
        ({}, "rewards.names", "cannot import module 'nowhere_pkg'"),
        ({"x": {"scorer": "nowhere_pkg:Mine"}}, "rewards.options.x.scorer", "cannot import"),
        ({"x": {"scorer": f"{__name__}:ex"}}, "rewards.options.x.scorer", "not a subclass"),
    ],
)
def test_a_bad_dotted_path_fails_at_construction_naming_its_key(options, key, problem):
    names = ["x"] if options else ["nowhere_pkg:Mine"]
    with pytest.raises(KeyError) as err:
        RewardSet(names, routing="all", options=options)
    assert str(err.value.args[0]).startswith(f"{key}: ") and problem in str(err.value)


def test_options_for_a_source_not_in_names_are_refused_naming_both():
    with pytest.raises(ValueError) as err:
        RewardSet(["short"], "all", options={"short": LENGTHS["short"], "lng": {}})
    assert "rewards.options has keys ['lng'] that are not in rewards.names ['short']" in str(
        err.value
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"noise": {"name": "short", "sigma": -0.1}}, "rewards.noise.sigma=-0.1 must be >= 0"),
        ({"noise": {"sigma": 0.1}}, "rewards.noise.name=None; allowed values: short"),
        ({"max_resident": 0}, "rewards.max_resident=0 must be >= 1 (or null)"),
    ],
)
def test_bad_noise_and_max_resident_are_refused_naming_the_key(kwargs, message):
    with pytest.raises(ValueError) as err:
        RewardSet(["short"], "all", {"short": LENGTHS["short"]}, **kwargs)
    assert message in str(err.value)


def test_construction_loads_no_scorer_and_an_alias_gets_its_options():
    rs = RewardSet(["short", "long"], "all", LENGTHS)
    assert rs.resident() == []  # models load lazily, on first use
    short, long = rs.scorer("short"), rs.scorer("long")
    assert short.name == long.name == "length_reward"  # one scorer class, two sources
    assert (short.target, long.target) == (2.0, 4.0)  # "scorer" was not passed on as an option
    assert rs.scorer("short") is short  # built once


def test_max_resident_keeps_the_most_recent_scorers():
    opts = {n: {"scorer": "length_reward"} for n in "abc"}
    rs = RewardSet(list("abc"), "all", opts, max_resident=2)
    rs.scorer("a"), rs.scorer("b"), rs.scorer("a"), rs.scorer("c")
    # "b" was least recently used when "c" arrived
    assert rs.resident() == ["a", "c"]


# ---- routing: which source scores which row -------------------------------------------------
def test_by_example_masks_every_cell_but_the_rows_own_metric():
    rs = RewardSet(["answer_format", "length_reward"], routing="by_example")
    rows = [ex("length_reward"), ex("answer_format"), ex("ndcg")]  # ndcg: not in this set
    np.testing.assert_array_equal(rs.mask_for(rows), [[False, True], [True, False], [False, False]])
    assert rs.applicable(rows[2]) == ["ndcg"]  # applicable may name metrics outside the set
    table = rs.score(rows, ["a b c", "#### 4", "#### 4"])
    # length_reward (target 60 words): 1 - |3 - 60| / 60 = 0.05; answer_format: 1
    np.testing.assert_allclose(table.scores, [[0.0, 0.05], [1.0, 0.0], [0.0, 0.0]])
    assert table.mask.tolist() == rs.mask_for(rows).tolist()


def test_all_routing_scores_every_row_by_every_source():
    rs = RewardSet(["short", "long"], "all", LENGTHS)
    table = rs.score([ex(), ex("anything")], ["a b", "a b c d e f"])
    assert table.mask.all()
    # short (2 words): 1, 1 - 4/2 -> 0; long (4 words): 1 - 2/4 = 0.5, 1 - 2/4 = 0.5
    np.testing.assert_allclose(table.scores, [[1.0, 0.5], [0.0, 0.5]])


def test_listed_routing_reads_the_rows_metric_list():
    rs = RewardSet(["short", "long"], "listed", LENGTHS)
    rows = [ex(metrics=["long"]), ex(metrics=["short", "long", "other"]), ex()]
    np.testing.assert_array_equal(rs.mask_for(rows), [[False, True], [True, True], [False, False]])
    table = rs.score(rows, ["a b", "a b", "a b"])
    np.testing.assert_allclose(table.scores, [[0.0, 0.5], [1.0, 0.5], [0.0, 0.0]])


# ---- restricting scoring ----------------------------------------------------------------------
def test_each_source_scores_only_its_rows_in_one_batch():
    rs = RewardSet(
        ["a", "b"],
        "listed",
        {"a": {"scorer": "test_recording_reward"}, "b": {"scorer": "test_recording_reward"}},
    )
    rows = [ex(metrics=["a"]), ex(metrics=["b"]), ex(metrics=["a", "b"]), ex(metrics=["a"])]
    table = rs.score(rows, ["1", "22", "333", "4444"])
    assert rs.scorer("a").batches == [["1", "333", "4444"]]
    assert rs.scorer("b").batches == [["22", "333"]]
    np.testing.assert_allclose(table.scores, [[0.1, 0.0], [0.0, 0.2], [0.3, 0.3], [0.4, 0.0]])
    assert len(table.outputs["a"]) == 3 and len(table.outputs["b"]) == 2


def test_only_masks_the_other_sources_and_never_builds_them():
    rs = RewardSet(["short", "long", "fmt"], "all", {**LENGTHS, "fmt": {"scorer": "answer_format"}})
    table = rs.score([ex(), ex()], ["a b", "#### 3"], only=["short"])
    assert set(table.outputs) == {"short"} and rs.resident() == ["short"]
    np.testing.assert_array_equal(table.mask, [[True, False, False]] * 2)
    np.testing.assert_allclose(table.scores, [[1.0, 0.0, 0.0]] * 2)
    with pytest.raises(KeyError, match=r"unknown reward sources \['judge'\]; have"):
        rs.score([ex()], ["a"], only=["short", "judge"])


def test_allow_restricts_per_row_and_its_shape_is_checked():
    rs = RewardSet(["short", "long"], "all", LENGTHS)
    allow = np.array([[True, False], [False, True]])
    table = rs.score([ex(), ex()], ["a b", "a b"], allow=allow)
    np.testing.assert_array_equal(table.mask, allow)
    np.testing.assert_allclose(table.scores, [[1.0, 0.0], [0.0, 0.5]])
    with pytest.raises(ValueError, match=r"allow has shape \(2,\), expected \(2, 2\)"):
        rs.score([ex(), ex()], ["a", "b"], allow=np.array([True, False]))


def test_examples_and_outputs_must_pair_up():
    rs = RewardSet(["short"], "all", {"short": LENGTHS["short"]})
    with pytest.raises(ValueError, match="3 examples but 2 outputs"):
        rs.score([ex()] * 3, ["a", "b"])


# ---- noise ----------------------------------------------------------------------------------
def test_noise_is_sigma_times_a_draw_seeded_by_the_text_and_only_on_its_source():
    opts = {"a": {"scorer": "length_reward", "target_words": 2}, **LENGTHS}
    names = ["a", "short"]
    outs = ["a b", "c d", "e f"]
    rows = [ex()] * 3
    clean = RewardSet(names, "all", {n: opts[n] for n in names}).score(rows, outs).scores
    noisy = RewardSet(
        names, "all", {n: opts[n] for n in names}, noise={"name": "short", "sigma": 0.5, "seed": 3}
    ).score(rows, outs)
    draws = [np.random.default_rng([3, zlib.crc32(o.encode())]).normal() for o in outs]
    np.testing.assert_array_equal(noisy.scores[:, 0], clean[:, 0])  # "a" untouched
    np.testing.assert_allclose(noisy.scores[:, 1], clean[:, 1] + 0.5 * np.asarray(draws))
    assert len(set(np.round(draws, 12))) == 3  # different texts, different noise


# ---- the table -------------------------------------------------------------------------------
def test_table_means_cover_only_scored_rows_and_log_parse_failures():
    rs = RewardSet(["a", "b"], "listed", {n: {"scorer": "test_recording_reward"} for n in "ab"})
    rows = [ex(metrics=["a"]), ex(metrics=["a"]), ex(metrics=["a"])]
    table = rs.score(rows, ["12", "1234", "\x00junk"])  # the last is junk: 0, a parse failure
    # a: (0.2 + 0.4 + 0.0) / 3 = 0.2 over its three rows; b scored nothing, so it is left out
    assert table.metric_means() == pytest.approx({"a": 0.2})
    assert table.log_dict() == pytest.approx(
        {"reward/a": 0.2, "parse_fail/a": 1, "parse_fail/b": 0}
    )
    assert table.parse_failed[:, 0].tolist() == [False, False, True]
    assert rs.aggregate(table) == pytest.approx({"a": 0.2})  # mean aggregation


def test_a_score_table_is_what_the_mixers_read():
    table = ScoreTable(
        names=["m", "n"],
        scores=np.array([[0.5, 0.0], [1.0, 0.25]]),
        mask=np.array([[True, False], [True, True]]),
        parse_failed=np.zeros((2, 2), dtype=bool),
        outputs={},
    )
    assert table.metric_means() == {"m": 0.75, "n": 0.25}
