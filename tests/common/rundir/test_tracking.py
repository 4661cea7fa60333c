import json
import os

import pytest

from common.rundir.tracking import Tracker, read_metrics


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

    from common.rundir.tracking import build_tracker
    from experiments.compose import compose_config
    from experiments.trainers import TRAINERS

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
    method = TRAINERS.get(cfg.trainer.name).method  # as TrainingLoop passes it
    build_tracker(cfg, tmp_path, method=method).finish()
    assert seen["group"] == "debug"  # a single run: the experiment name
    assert seen["config"]["method"] == "drbo" and seen["config"]["mixer"] == "delta"
    assert seen["config"]["seed"] == 2
    assert seen["config"]["run_info"]["git"] == {"commit": "abc"}


# ---- W&B that cannot start online: no key, no network -------------------------------------
class _FakeRun:
    summary: dict = {}

    def log(self, *a, **k):
        pass

    def finish(self):
        pass


def _wandb_init_failing_online(monkeypatch, error):
    """wandb.init raising ``error`` in online mode (as W&B does with no key, or after its
    init_timeout without network) and succeeding offline; the modes asked for."""
    import wandb

    modes = []

    def fake_init(mode, **kwargs):
        modes.append(mode)
        if mode == "online":
            raise error
        return _FakeRun()

    monkeypatch.setattr(wandb, "init", fake_init)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    return modes


@pytest.mark.parametrize(
    ("kind", "text"),
    [  # what wandb 0.31 raises with no key (no tty), after init_timeout offline, a bad key
        ("UsageError", "No API key configured. Use `wandb login` to log in."),
        ("CommError", "Run initialization has timed out after 90.0 sec."),
        ("AuthenticationError", "API key must be 40 characters long"),
    ],
)
def test_online_wandb_that_cannot_start_falls_back_offline_saying_what_to_do(
    tmp_path, monkeypatch, caplog, kind, text
):
    import wandb.errors

    modes = _wandb_init_failing_online(monkeypatch, getattr(wandb.errors, kind)(text))
    with caplog.at_level("WARNING", logger="common.rundir.tracking"):
        t = Tracker(tmp_path, backend="wandb", mode="online")
    t.log(1, {"loss": 1.0})
    t.finish()
    assert modes == ["online", "offline"]
    message = caplog.text
    assert f"{kind}: {text}" in message and "could not start an online run" in message
    assert "logger=wandb_offline" in message and "WANDB_MODE=offline" in message
    assert f"wandb sync {tmp_path}/wandb/offline-run-*" in message
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1]


def test_wandb_that_cannot_start_even_offline_names_logger_none(tmp_path, monkeypatch):
    import wandb

    from common.rundir.tracking import WandbStartError

    def fake_init(mode, **kwargs):
        raise wandb.errors.UsageError(f"cannot start in mode {mode}")

    monkeypatch.setattr(wandb, "init", fake_init)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    with pytest.raises(WandbStartError, match="nor an offline one.*logger=none"):
        Tracker(tmp_path, backend="wandb", mode="online")


def test_wandb_mode_from_the_environment_wins_over_logger_mode(tmp_path, monkeypatch):
    modes = _wandb_init_failing_online(monkeypatch, AssertionError("went online"))
    monkeypatch.setenv("WANDB_MODE", "offline")
    Tracker(tmp_path, backend="wandb", mode="online").finish()
    monkeypatch.setenv("WANDB_MODE", "dryrun")  # wandb's older name for offline
    Tracker(tmp_path, backend="wandb", mode="online").finish()
    assert modes == ["offline", "offline"]


# ---- repair on resume and write errors ---------------------------------------------------


def _rows(*steps):
    return "".join(json.dumps({"step": s, "loss": 0.5}) + "\n" for s in steps)


def test_resume_repair_drops_only_a_torn_last_line_and_rows_after_the_checkpoint(tmp_path):
    from common.rundir.tracking import keep_rows_up_to, read_metrics

    path = tmp_path / "metrics.jsonl"
    path.write_text(_rows(1, 2, 3) + '{"step": 4, "lo')  # killed mid-row
    keep_rows_up_to(path, 2)
    assert [r["step"] for r in read_metrics(path)] == [1, 2]


def test_resume_repair_refuses_a_corrupt_middle_row_naming_file_and_line(tmp_path):
    from common.rundir.tracking import MetricsFileError, keep_rows_up_to

    path = tmp_path / "metrics.jsonl"
    text = _rows(1) + '{"step": 2, "lo\n' + _rows(3)
    path.write_text(text)
    with pytest.raises(MetricsFileError, match=rf"{path}:2: unparsable metrics row"):
        keep_rows_up_to(path, 3)
    assert path.read_text() == text  # untouched


def test_a_full_disk_leaves_no_partial_row_and_names_the_file_and_what_is_kept(
    tmp_path, monkeypatch
):
    import errno

    import common.rundir.tracking as tracking

    t = tracking.Tracker(tmp_path, backend="none")
    t.log(1, {"loss": 0.5})
    real_write = os.write

    def half_then_full(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tracking.os, "write", half_then_full)
    with pytest.raises(tracking.MetricsWriteError) as err:
        t.log(2, {"loss": 0.25})
    assert err.value.errno == errno.ENOSPC
    msg = str(err.value)
    assert f"could not write step 2's row to {tmp_path / 'metrics.jsonl'}" in msg
    assert "No space left on device; rows up to step 1 are kept, with no partial row" in msg
    monkeypatch.setattr(tracking.os, "write", real_write)
    t.finish()
    assert (tmp_path / "metrics.jsonl").read_text() == json.dumps({"step": 1, "loss": 0.5}) + "\n"
