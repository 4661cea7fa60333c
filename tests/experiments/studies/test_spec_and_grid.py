"""Study YAMLs: the committed ones load; bad ones fail naming the key. The grid: order,
folders, resumability, failures naming the log."""

import subprocess
from pathlib import Path

import pytest

from experiments.studies import grid
from experiments.studies.spec import STUDY_CONF, load_spec


@pytest.mark.parametrize("path", sorted(STUDY_CONF.glob("*.yaml")), ids=lambda p: p.stem)
def test_committed_studies_load_and_compose(path):
    from common.mixers.base import build_run_mixer
    from experiments.compose import compose_config

    spec = load_spec(path.stem)
    assert len(spec.seeds) >= 3, "a study uses >= 3 seeds"
    for overrides in spec.conditions.values():  # every condition composes and builds its mixer
        cfg = compose_config(f"+exp={spec.exp}", *spec.overrides, *overrides)
        build_run_mixer(cfg.balancer, list(cfg.rewards.names))


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def test_unknown_key_names_allowed_keys(tmp_path):
    p = _write(tmp_path, "exp: debug\nconditions: {a: []}\nsedes: [0]\n")
    with pytest.raises(ValueError, match="sedes.*allowed"):
        load_spec(p)


def test_unknown_study_lists_known_ones():
    with pytest.raises(FileNotFoundError, match="known studies"):
        load_spec("no_such_study")


def test_bad_eval_kind_and_difference_are_named(tmp_path):
    p = _write(tmp_path, "exp: debug\nconditions: {a: []}\neval: {kind: bleu}\n")
    with pytest.raises(ValueError, match="eval.kind 'bleu'; allowed"):
        load_spec(p)
    p = _write(tmp_path, "exp: debug\nconditions: {a: []}\ndifferences: [[a, b]]\n")
    with pytest.raises(ValueError, match="differences"):
        load_spec(p)


def test_plan_is_seed_major_with_one_folder_per_run(tmp_path):
    spec = load_spec(
        _write(tmp_path, "exp: debug\nseeds: [0, 1, 2]\nconditions: {a: [x=1], b: []}\n")
    )
    runs = grid.plan_runs(spec, tmp_path / "root")
    assert [(r.condition, r.seed) for r in runs] == [
        ("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2)
    ]  # fmt: skip
    assert runs[0].folder == tmp_path / "root" / "runs" / "a" / "seed0"
    cmd = runs[0].command(spec)
    assert "+exp=debug" in cmd and "seed=0" in cmd and "x=1" in cmd
    with pytest.raises(ValueError, match="not conditions"):
        grid.plan_runs(spec, tmp_path, only=["c"])


def test_finished_runs_are_not_trained_again_and_failures_name_the_log(tmp_path, monkeypatch):
    spec = load_spec(_write(tmp_path, "exp: debug\nseeds: [0, 1, 2]\nconditions: {a: []}\n"))
    runs = grid.plan_runs(spec, tmp_path)
    done = runs[0].folder
    (done / "final_model").mkdir(parents=True)
    (done / "summary.json").write_text("{}")
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        folder = Path(next(a for a in cmd if a.startswith("hydra.run.dir=")).split("=", 1)[1])
        if folder.name == "seed2":
            return subprocess.CompletedProcess(cmd, 3)
        (folder / "final_model").mkdir()
        (folder / "checkpoints" / "step-1").mkdir(parents=True)
        (folder / "summary.json").write_text("{}")
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(grid.subprocess, "run", fake_run)
    with pytest.raises(RuntimeError, match=r"a seed 2 failed \(exit 3\).*train.log"):
        grid.train_all(spec, runs, log=lambda *_: None)
    assert len(calls) == 2  # seed 0 skipped, seed 1 trained, seed 2 failed
    assert runs[1].finished and not runs[2].finished
    assert not (runs[1].folder / "checkpoints").exists()  # pruned once finished
