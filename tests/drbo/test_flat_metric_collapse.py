"""Issue 19 on the tiny model: a metric that is 0 on every fit sample and fires later.

``answer_format`` (1 when the output states "#### n") is 0 for a random tiny GPT-2, so its
fitted std is 0. At steps 3-4 the first sampled response of each batch gets "#### 4"
appended before scoring, from step 5 on both do: the metric's first successes, as a small
policy learning a format would produce them. The two other metrics (word-count closeness to 3 and to 8 words) vary.
Under the old rule (divide by eps = 0.01, no clip) its scaled reward is 50 and DRBO's delta
weights go one-hot on it; under the flat-metric rule they stay spread out.
"""

from __future__ import annotations

import logging

import pytest

from common.rundir.tracking import read_metrics
from drbo.trainer import PolicyGradientLoop
from experiments.compose import compose_config

NAMES = ("len_short", "len_long", "answer_format")
RUN = (
    "+exp=debug",
    f"rewards.names=[{','.join(NAMES)}]",
    "rewards.routing=all",  # every metric scores every answer, as in ALCE
    "+dataset.task_metric=sent_sim",  # free-text rows only
    "+rewards.options.len_short={scorer: length_reward, target_words: 3}",
    "+rewards.options.len_long={scorer: length_reward, target_words: 8}",
    "balancer=delta",
    "balancer.every=2",
    # A constant tau isolates the standardization: at the default 0.01 t (0.04 at t = 4)
    # delta is one-hot for any gap of a few tenths, whatever the rule (README, DRBO notes).
    "balancer.temperature=1.0",
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.export_final=false",
    "trainer.standardize_k=8",
    "trainer.steps=8",
)
OLD_RULE = ("trainer.standardize_flat=eps", "trainer.standardize_clip=null")


def _successes(step: int) -> int:
    """How many of the batch's 2 sampled responses state an answer at ``step``."""
    return 0 if step < 3 else 1 if step < 5 else 2


def _run(tmp_path, *overrides, fire=True):
    loop = PolicyGradientLoop(compose_config(*RUN, *overrides), tmp_path)
    score, scored = loop.reward_set.score, set()

    def successes_from_step_3(batch, texts, step=None, **kwargs):
        # the sampled responses are scored first in a step, then the greedy ones
        if fire and step is not None and step not in scored:
            scored.add(step)
            k = _successes(step)
            texts = [t + " #### 4" for t in texts[:k]] + list(texts[k:])
        return score(batch, texts, step=step, **kwargs)

    loop.reward_set.score = successes_from_step_3
    loop.fit()
    return read_metrics(tmp_path / "metrics.jsonl")


def _weights(rows):
    return [[r[f"weight/{m}"] for m in NAMES] for r in rows]


@pytest.mark.slow  # two 8-step runs: ~1 min of CPU
def test_flat_metric_firing_later_collapses_delta_under_the_old_rule_not_under_the_new(
    tmp_path, caplog
):
    with caplog.at_level(logging.WARNING):
        old = _run(tmp_path / "old", *OLD_RULE)
    warned = [r.getMessage() for r in caplog.records if r.name == "drbo.weight_monitor"]
    # batch means (1 + 0) / 2 / 0.01 = 50 at steps 3-4, then 100
    assert [r["scaled/answer_format"] for r in old] == pytest.approx([0, 0, 50, 50] + [100] * 4)
    assert max(w[2] for w in _weights(old)) > 0.99  # one-hot on the flat metric
    assert min(r["weight_entropy"] for r in old) < 0.06
    assert len(warned) == 1 and "one-hot on 'answer_format'" in warned[0]
    assert "its scaled reward, up to 100 at step 5" in warned[0]
    assert old[0]["std/answer_format"] == 0.01

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        new = _run(tmp_path / "new")
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith("reward statistics: 'answer_format': std 0 over K=8 samples")
        and "zero or near-zero spread" in m
        for m in messages
    )
    assert not [r for r in caplog.records if r.name == "drbo.weight_monitor"]
    # K = 8: divided by sqrt(8) / 9 = 0.3143, so a success reads as 3.18 (batch mean 1.59)
    assert new[0]["std/answer_format"] == pytest.approx(8**0.5 / 9)
    one = 9 / 8**0.5
    assert [r["scaled/answer_format"] for r in new] == pytest.approx(
        [0, 0, one / 2, one / 2] + [one] * 4
    )
    assert max(max(w) for w in _weights(new)) < 0.9  # nothing one-hot
    assert min(r["weight_entropy"] for r in new) > 0.5  # ln 3 = 1.10 is uniform
    assert all(abs(r[f"scaled/{m}"]) <= 10.0 for r in new for m in NAMES)


@pytest.mark.slow  # two 3-step runs; the bit-for-bit unit check is in test_standardize.py
def test_where_every_metric_varies_the_run_is_identical_to_the_old_rule(tmp_path, without_timings):
    """No flat metric (answer_format left out, both length metrics vary at fit time) and no
    scaled reward near the clip: every logged figure equals the old rule's, bit for bit."""
    both = (
        "rewards.names=[len_short,len_long]",
        "trainer.steps=3",
        "balancer.every=1",
    )
    new = _run(tmp_path / "new", *both, fire=False)
    old = _run(tmp_path / "old", *both, *OLD_RULE, fire=False)

    assert all(r["std/len_short"] > 0.01 and r["std/len_long"] > 0.01 for r in new)
    assert without_timings(new) == without_timings(old)
