"""The no-update trainer logs the same timing keys as every other trainer."""

from common.mixers.step import TIME_KEYS
from common.rundir.tracking import read_metrics
from common.training.rollout_eval import RolloutEvalLoop
from experiments.compose import compose_config


def test_rollout_eval_logs_rewards_and_the_shared_time_keys(tmp_path):
    cfg = compose_config(
        "+exp=debug",
        "trainer=rollout_eval",
        "trainer.steps=1",
        "trainer.batch_size=2",
        "trainer.eval_before=false",
        "trainer.eval_after=false",
        "rewards.names=[mc_accuracy,hit_at_3]",
        "logger=none",
    )
    RolloutEvalLoop(cfg, tmp_path).fit()
    (row,) = read_metrics(tmp_path / "metrics.jsonl")
    assert set(TIME_KEYS) <= set(row) and row["time/generate_s"] > 0
    assert any(k.startswith("reward/") for k in row)
