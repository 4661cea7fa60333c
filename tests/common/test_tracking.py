import json

import pytest

from common.tracking import Tracker, read_metrics


def test_metrics_jsonl_one_row_per_step(tmp_path):
    t = Tracker(tmp_path, backend="none")
    t.log(1, {"loss": 0.5, "reward/ner_f1": 0.25})
    t.log(2, {"loss": float("nan")})
    t.finish()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert rows == [{"step": 1, "loss": 0.5, "reward/ner_f1": 0.25}, {"step": 2, "loss": None}]


def test_resume_appends(tmp_path):
    Tracker(tmp_path, backend="none").log(1, {"a": 1})
    t = Tracker(tmp_path, backend="none", resume=True)
    t.log(2, {"a": 2})
    t.finish()
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1, 2]


def test_wandb_offline_writes_a_local_run(tmp_path):
    t = Tracker(
        tmp_path, backend="wandb", mode="offline", project="p", group="g", config={"seed": 0}
    )
    t.log(1, {"loss": 1.0})
    t.summary({"eval_after/x": 0.5})
    t.finish()
    runs = list((tmp_path / "wandb").glob("offline-run-*"))
    assert len(runs) == 1
    assert json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])["loss"] == 1.0


def test_bad_logger_values_name_the_key(tmp_path):
    with pytest.raises(ValueError, match="logger.backend"):
        Tracker(tmp_path, backend="tensorboardX")
    with pytest.raises(ValueError, match="logger.mode"):
        Tracker(tmp_path, backend="wandb", mode="sometimes")
