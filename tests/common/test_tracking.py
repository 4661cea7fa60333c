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


def test_build_tracker_gives_wandb_the_comparison_keys_and_provenance(tmp_path, monkeypatch):
    import wandb

    from common.tracking import build_tracker
    from experiments.compose import compose_config

    seen = {}

    class FakeRun:
        summary: dict = {}

        def log(self, *a, **k):
            pass

        def finish(self):
            pass

    def fake_init(**kwargs):
        seen.update(kwargs)
        return FakeRun()

    monkeypatch.setattr(wandb, "init", fake_init)
    (tmp_path / "run_info.json").write_text(
        json.dumps({"git": {"commit": "abc"}, "packages": {"torch": "2"}, "rerun": "x"})
    )
    cfg = compose_config("+exp=debug", "logger=wandb_offline", "balancer=delta", "seed=2")
    build_tracker(cfg, tmp_path).finish()
    assert seen["group"] == "debug"  # a single run: the experiment name
    assert seen["config"]["method"] == "drbo" and seen["config"]["mixer"] == "delta"
    assert seen["config"]["seed"] == 2
    assert seen["config"]["run_info"]["git"] == {"commit": "abc"}
