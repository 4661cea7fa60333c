"""LASeR at inference (laser.best_of_n): the bandit learns which reward model reranks n
samples; the policy is never updated."""

import torch

from common.mixers.step import TIME_KEYS
from common.rundir.tracking import read_metrics
from experiments.compose import compose_config
from laser.best_of_n import BestOfNLoop


def test_best_of_n_learns_a_reranker_without_touching_the_policy(tmp_path):
    loop = BestOfNLoop(
        compose_config(
            "+exp=laser_debug", "trainer=best_of_n", "trainer.steps=4", "dataset.max_eval=4"
        ),
        tmp_path,
    )
    before = {n: p.detach().clone() for n, p in loop.policy.named_parameters()}
    result = loop.fit()
    for n, p in loop.policy.named_parameters():
        assert torch.equal(before[n], p)
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert all(r["arm"] in ("fmt", "short", "long") and r["nll"] > 0 for r in rows)
    assert all(set(TIME_KEYS) <= set(r) for r in rows)
    assert loop.mixer.state_dict()["dim"] == 64
    assert set(result["eval"]["after"]) == {"fmt", "short", "long"}
