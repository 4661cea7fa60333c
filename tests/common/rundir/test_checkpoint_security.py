"""A checkpoint folder cannot run code on resume: the project's own state is safetensors and
JSON, and DeepSpeed's pickled shards load only from a manifest signed with the user's key.

The attack: every pickle-bearing file of a finished run's newest checkpoint is replaced by a
pickle that touches a marker when it loads, and the manifest's sizes and digests are
recomputed with the project's own code, as anyone can. Resuming must refuse the checkpoint by
name and never create the marker."""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from common.rundir.checkpoint import MANIFEST, CheckpointManager, file_digest
from common.rundir.checkpoint_signing import CheckpointUntrusted, key_path, sign
from common.rundir.safe_state import (
    LegacyPickleCheckpoint,
    load_rng_state,
    load_tensors,
    save_rng_state,
    save_tensors,
)
from common.rundir.sign_checkpoint import main
from experiments.compose import compose_config


class Planted:
    """Unpickling this opens (creates) ``marker``: code run by a load."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "a")


def is_pickle_bearing(path: Path) -> bool:
    """A torch.save zip (holds a ``data.pkl``) or a bare pickle (protocol 2+ opcode first)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("data.pkl") for n in z.namelist())
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"


def plant(folder: Path, marker: Path, names: list[str] | None = None) -> list[str]:
    """Replace every pickle-bearing file in ``folder`` (or write ``names``) with a planted
    pickle, then recompute the manifest's sizes and digests as an attacker would."""
    if names is None:
        names = [
            str(p.relative_to(folder))
            for p in folder.rglob("*")
            if p.is_file() and is_pickle_bearing(p)
        ]
    for name in names:
        torch.save(Planted(marker), folder / name)
    manifest = json.loads((folder / MANIFEST).read_text())
    files = {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest["files"] = files
    manifest["digests"] = {n: file_digest(folder / n) for n in files}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return sorted(names)


@pytest.fixture
def own_key(tmp_path, monkeypatch):
    """A fresh key folder for this test."""
    monkeypatch.setenv("MULTIREWARD_KEY_DIR", str(tmp_path / "keys"))
    return tmp_path / "keys"


def _save(root: Path, step: int = 1) -> Path:
    def write(folder: Path) -> None:
        (folder / "model.bin").write_bytes(b"weights")

    return CheckpointManager(root, keep=3).save(step, write, {})


# ---- the signature ---------------------------------------------------------------------------
def test_the_key_is_created_on_first_use_readable_by_its_owner_only(own_key):
    assert not own_key.exists()
    _save(own_key.parent / "ck")
    assert key_path() == own_key / "checkpoint.key"
    assert stat.S_IMODE(key_path().stat().st_mode) == 0o600
    first = key_path().read_text()
    _save(own_key.parent / "ck", step=2)
    assert key_path().read_text() == first  # reused, not replaced


def test_a_checkpoint_signed_with_this_users_key_is_accepted(own_key, tmp_path):
    d = _save(tmp_path / "ck")
    assert CheckpointManager(tmp_path / "ck").latest_intact() == d


def test_a_checkpoint_signed_with_another_key_is_refused_by_name(own_key, tmp_path, monkeypatch):
    d = _save(tmp_path / "ck")
    monkeypatch.setenv("MULTIREWARD_KEY_DIR", str(tmp_path / "other-keys"))
    _save(tmp_path / "elsewhere")  # creates this "machine's" key
    with pytest.raises(CheckpointUntrusted, match="signed with another key") as err:
        CheckpointManager(tmp_path / "ck").latest_intact()
    assert str(d) in str(err.value) and "trust_checkpoint=true" in str(err.value)
    # the user vouches for it: signed with their key, it is accepted
    assert main(["sign", str(d)]) == 0
    assert CheckpointManager(tmp_path / "ck").latest_intact() == d


def test_a_manifest_recomputed_by_an_attacker_or_stripped_of_its_signature_is_refused(
    own_key, tmp_path
):
    d = _save(tmp_path / "ck")
    (d / "model.bin").write_bytes(b"planted")
    plant(d, tmp_path / "marker", names=[])  # sizes and digests recomputed, signature kept
    manager = CheckpointManager(tmp_path / "ck")
    assert manager.verify(d) is None  # the digests match: they only detect corruption
    with pytest.raises(CheckpointUntrusted, match="changed after it was signed"):
        manager.latest_intact()
    manifest = json.loads((d / MANIFEST).read_text())
    del manifest["signature"]
    (d / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CheckpointUntrusted, match="not signed"):
        manager.latest_intact()
    assert CheckpointManager(tmp_path / "ck", trust_unsigned=True).latest_intact() == d


def test_a_signature_over_fast_checksums_is_not_enough(own_key, tmp_path):
    d = _save(tmp_path / "ck")
    manifest = json.loads((d / MANIFEST).read_text())
    manifest["digests"] = {n: file_digest(d / n, "xxh3_128") for n in manifest["files"]}
    (d / MANIFEST).write_text(json.dumps(sign(manifest)))
    with pytest.raises(CheckpointUntrusted, match="non-cryptographic digest"):
        CheckpointManager(tmp_path / "ck").latest_intact()


# ---- the project's own state ---------------------------------------------------------------
def test_rng_states_round_trip_through_safetensors_and_json(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    random.gauss(0, 1)  # a cached gauss_next in python's state
    save_rng_state(tmp_path / "rng.safetensors")
    want = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    load_rng_state(tmp_path / "rng.safetensors")
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == want
    assert not is_pickle_bearing(tmp_path / "rng.safetensors")


def test_tied_weights_round_trip_once(tiny_lm, tmp_path):
    model, _ = tiny_lm
    state = model.state_dict()
    save_tensors(tmp_path / "ref.safetensors", state)
    loaded = load_tensors(tmp_path / "ref.safetensors")
    assert set(loaded) == set(state)
    for name, t in state.items():
        torch.testing.assert_close(loaded[name], t)
    if "lm_head.weight" in state:  # GPT-2 ties it to the input embedding
        assert loaded["lm_head.weight"].data_ptr() == loaded["transformer.wte.weight"].data_ptr()


# ---- the attack, on real runs ----------------------------------------------------------------
DRBO = (
    "+exp=debug",
    "rewards.names=[multilingual_sim,sent_sim]",
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.export_final=false",
    "trainer.standardize_k=8",
    "trainer.steps=1",
    "trainer.save_every=1",
)
LASER = (
    "+exp=laser_debug",
    "trainer.eval_before=false",
    "trainer.eval_after=false",
    "trainer.export_final=false",
    "trainer.steps=3",  # steps_per_iteration=2: the reference is refreshed at step 3
    "trainer.save_every=3",
)


@pytest.fixture(scope="module")
def finished_runs(tmp_path_factory):
    """A finished DRBO (ReMax) run and a finished LASeR run, each with checkpoints."""
    from drbo.trainer import PolicyGradientLoop
    from laser.trainer import LaserLoop

    root = tmp_path_factory.mktemp("runs")
    PolicyGradientLoop(compose_config(*DRBO), root / "drbo").fit()
    LaserLoop(compose_config(*LASER), root / "laser").fit()
    return root


def _copy(finished_runs, name, tmp_path) -> Path:
    return Path(shutil.copytree(finished_runs / name, tmp_path / name))


@pytest.mark.parametrize("method", ["drbo", "laser"])
def test_planted_pickles_in_the_newest_checkpoint_never_run_on_resume(
    finished_runs, tmp_path, method
):
    from drbo.trainer import PolicyGradientLoop
    from laser.trainer import LaserLoop

    loop, overrides = {"drbo": (PolicyGradientLoop, DRBO), "laser": (LaserLoop, LASER)}[method]
    run = _copy(finished_runs, method, tmp_path)
    newest = CheckpointManager(run / "checkpoints").latest_intact()
    # the project's own files are not pickles; the only pickles are DeepSpeed's shards
    assert (newest / "rng_rank0.safetensors").exists()
    if method == "laser":
        assert (newest / "reference.safetensors").exists()
    marker = tmp_path / "marker"
    planted = plant(newest, marker)
    assert planted and all(name.startswith("engine/") for name in planted), planted
    assert any(name.endswith("mp_rank_00_model_states.pt") for name in planted)

    with pytest.raises(CheckpointUntrusted, match=newest.name) as err:
        loop(compose_config(*overrides, "resume=true"), run).fit()
    assert "changed after it was signed" in str(err.value)
    assert not marker.exists()


def test_a_checkpoint_tampered_after_it_was_chosen_is_refused_before_it_loads(
    finished_runs, tmp_path
):
    from drbo.trainer import PolicyGradientLoop

    run = _copy(finished_runs, "drbo", tmp_path)
    loop = PolicyGradientLoop(compose_config(*DRBO, "trainer.steps=2", "resume=true"), run)
    marker = tmp_path / "marker"
    plant(loop._resume_from, marker)  # after plan_resume checked it, before the load
    with pytest.raises(CheckpointUntrusted):
        loop.fit()
    assert not marker.exists()


def test_the_laser_reference_and_rng_states_never_unpickle_even_when_trusted(
    finished_runs, tmp_path
):
    from laser.trainer import LaserLoop

    run = _copy(finished_runs, "laser", tmp_path)
    newest = CheckpointManager(run / "checkpoints").latest_intact()
    saved = load_tensors(newest / "reference.safetensors")
    marker = tmp_path / "marker"
    # pickles under the old names beside the real files, the manifest recomputed: with
    # trust_checkpoint=true DeepSpeed's (intact) shards load, and nothing else unpickles
    plant(newest, marker, names=["reference.pt", "rng_rank0.pt"])
    resumed = LaserLoop(
        compose_config(*LASER, "trainer.steps=4", "resume=true", "trust_checkpoint=true"), run
    )
    resumed.resume()
    assert not marker.exists() and resumed.start_step == 4
    for name, t in resumed.reference.state_dict().items():
        torch.testing.assert_close(t.cpu(), saved[name])


def test_a_checkpoint_of_an_older_version_is_refused_not_unpickled(finished_runs, tmp_path):
    from laser.trainer import LaserLoop

    run = _copy(finished_runs, "laser", tmp_path)
    newest = CheckpointManager(run / "checkpoints").latest_intact()
    for name in ("reference", "rng_rank0"):
        os.remove(newest / f"{name}.safetensors")
    marker = tmp_path / "marker"
    plant(newest, marker, names=["reference.pt", "rng_rank0.pt"])  # as an old version wrote
    resumed = LaserLoop(
        compose_config(*LASER, "trainer.steps=4", "resume=true", "trust_checkpoint=true"), run
    )
    with pytest.raises(LegacyPickleCheckpoint, match="reference.pt, a pickle written by an older"):
        resumed.resume()
    assert not marker.exists()


def test_views_of_one_buffer_are_written_as_copies(tmp_path):
    flat = torch.arange(6.0)
    save_tensors(tmp_path / "t.safetensors", {"a": flat[:3], "b": flat[3:], "c": flat[:3]})
    loaded = load_tensors(tmp_path / "t.safetensors")
    assert loaded["b"].tolist() == [3.0, 4.0, 5.0] and loaded["c"] is loaded["a"]
