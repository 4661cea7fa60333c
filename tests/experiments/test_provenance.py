"""run_info.json: enough to re-run any row of a table exactly."""

import json

from experiments.compose import compose_config
from experiments.provenance import RESOLVED_CONFIG, RUN_INFO, git_state, record_run


def test_run_info_records_commit_overrides_versions_and_every_start(tmp_path, monkeypatch):
    cfg = compose_config("+exp=debug", "seed=3", output_dir=tmp_path)
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setenv("SLURM_RESTART_COUNT", "0")
    record_run(cfg, tmp_path, ["+exp=debug", "seed=3"])
    info = json.loads((tmp_path / RUN_INFO).read_text())
    assert info["seed"] == 3 and info["exp"] == "debug"
    assert info["overrides"] == ["+exp=debug", "seed=3"]
    assert info["rerun"] == "python -m experiments.run +exp=debug seed=3"
    assert info["git"] == git_state() and len(info["git"]["commit"]) == 40
    assert info["packages"]["torch"] and info["packages"]["transformers"]
    assert info["starts"][0]["slurm"] == {"SLURM_JOB_ID": "4242", "SLURM_RESTART_COUNT": "0"}
    resolved = (tmp_path / RESOLVED_CONFIG).read_text()
    assert "${" not in resolved and "seed: 3" in resolved

    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")  # the requeued job starts again
    record_run(cfg, tmp_path, ["+exp=debug", "seed=3"])
    starts = json.loads((tmp_path / RUN_INFO).read_text())["starts"]
    assert [s["slurm"]["SLURM_RESTART_COUNT"] for s in starts] == ["0", "1"]


def test_a_dirty_tree_saves_its_diff(tmp_path, monkeypatch):
    import experiments.provenance as prov

    monkeypatch.setattr(
        prov, "git_state", lambda: {"commit": "x" * 40, "branch": "main", "dirty": True}
    )
    monkeypatch.setattr(prov, "_git", lambda *a: "diff --git a/f b/f\n+change\n")
    record_run(compose_config("+exp=debug", output_dir=tmp_path), tmp_path, [])
    assert "+change" in (tmp_path / prov.GIT_DIFF).read_text()


def test_a_cut_run_info_does_not_stop_the_run(tmp_path):
    (tmp_path / RUN_INFO).write_text('{"starts": [')
    record_run(compose_config("+exp=debug", output_dir=tmp_path), tmp_path, [])
    assert len(json.loads((tmp_path / RUN_INFO).read_text())["starts"]) == 1


def test_run_info_records_the_precision_used(tmp_path):
    from common.models.precision import resolve_precision

    record_run(compose_config("+exp=debug", output_dir=tmp_path), tmp_path, [])
    precision = json.loads((tmp_path / RUN_INFO).read_text())["precision"]
    assert precision["requested"] == "auto"
    assert precision["used"] == resolve_precision("auto") in ("fp32", "bf16")
    record_run(
        compose_config("+exp=debug", "model.precision=fp32", output_dir=tmp_path), tmp_path, []
    )
    assert json.loads((tmp_path / RUN_INFO).read_text())["precision"]["used"] == "fp32"
