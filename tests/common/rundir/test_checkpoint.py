import json

import pytest

from common.rundir.checkpoint import CheckpointManager, file_digest


def _write(payload: bytes):
    def write(folder):
        (folder / "model.bin").write_bytes(payload)

    return write


def test_save_then_latest_roundtrip(tmp_path):
    m = CheckpointManager(tmp_path / "ck", keep=2)
    for step in (1, 2, 3):
        m.save(step, _write(b"x" * step), {"mixer": {"w": [step]}})
    kept = m.complete()
    assert [p.name for p in kept] == ["step-00000002", "step-00000003"]  # keep=2 pruned step 1
    state = m.read_state(m.latest())
    assert state == {"step": 3, "mixer": {"w": [3]}}


def test_corrupt_newest_falls_back_to_previous(tmp_path):
    m = CheckpointManager(tmp_path, keep=3)
    m.save(1, _write(b"aaaa"), {})
    newest = m.save(2, _write(b"bbbb"), {})
    (newest / "model.bin").write_bytes(b"bb")  # truncated after the fact
    assert m.latest().name == "step-00000001"


def test_partial_write_is_invisible(tmp_path):
    m = CheckpointManager(tmp_path)
    m.save(1, _write(b"ok"), {})
    # a crash mid-write leaves a hidden temp folder and no manifest
    (tmp_path / ".tmp-step-00000002-999").mkdir()
    (tmp_path / ".tmp-step-00000002-999" / "model.bin").write_bytes(b"half")
    # a folder with the final name but no manifest (e.g. copied by hand) is skipped too
    (tmp_path / "step-00000003").mkdir()
    assert m.latest().name == "step-00000001"


def test_unreadable_state_is_rejected(tmp_path):
    m = CheckpointManager(tmp_path)
    d = m.save(1, _write(b"ok"), {"a": 1})
    (d / "trainer_state.json").write_text("{not json")
    manifest = json.loads((d / "MANIFEST.json").read_text())
    manifest["files"]["trainer_state.json"] = len("{not json")
    manifest["digests"]["trainer_state.json"] = file_digest(d / "trainer_state.json")
    (d / "MANIFEST.json").write_text(json.dumps(manifest))
    assert m.verify(d) == "unreadable trainer state"
    assert m.latest() is None


# ---- faults during a write ---------------------------------------------------------------


def _snapshot(root):
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _killed_mid_save(root, when):
    """Child process: save step 2 and die by SIGKILL ``when`` (half the files written, or
    everything closed but not yet renamed into place)."""
    import os
    import signal

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def write(folder):
        (folder / "model.bin").write_bytes(b"half")
        if when == "mid_write":
            die()
        (folder / "optim.bin").write_bytes(b"rest")

    if when == "before_rename":
        os.replace = lambda *a: die()  # only in this child
    CheckpointManager(root).save(2, write, {})


@pytest.mark.parametrize("when", ["mid_write", "before_rename"])
def test_sigkill_during_a_save_leaves_the_previous_checkpoint_latest(tmp_path, when):
    import multiprocessing
    import signal

    m = CheckpointManager(tmp_path)
    m.save(1, _write(b"good"), {"a": 1})
    before = _snapshot(tmp_path / "step-00000001")
    # fork: the child needs no re-import, and it dies before touching anything threaded
    child = multiprocessing.get_context("fork").Process(
        target=_killed_mid_save, args=(tmp_path, when)
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL
    assert (tmp_path / ".tmp-step-00000002").is_dir()  # the partial folder is there...
    assert m.latest().name == "step-00000001"  # ...and ignored
    assert _snapshot(tmp_path / "step-00000001") == before
    m.save(3, _write(b"next"), {})
    assert not list(tmp_path.glob(".tmp-step-*"))  # the next save cleaned it
    assert [p.name for p in m.complete()] == ["step-00000001", "step-00000003"]


@pytest.mark.parametrize(
    "fault, errno_",
    [
        (OSError(28, "No space left on device"), 28),
        # torch.save on a full disk raises this, not an OSError
        (RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed"), None),
    ],
)
def test_full_disk_on_write_names_the_step_and_keeps_the_previous_checkpoint(
    tmp_path, fault, errno_
):
    from common.rundir.checkpoint import CheckpointWriteError

    m = CheckpointManager(tmp_path)
    m.save(1, _write(b"good"), {"a": 1})
    before = _snapshot(tmp_path)

    def fills_the_disk(folder):
        (folder / "model.bin").write_bytes(b"part")
        raise fault

    with pytest.raises(CheckpointWriteError) as err:
        m.save(2, fills_the_disk, {})
    assert isinstance(err.value, OSError) and err.value.errno == errno_
    assert err.value.__cause__ is fault
    msg = str(err.value)
    assert f"checkpoint of step 2 could not be written to {tmp_path / 'step-00000002'}" in msg
    assert str(fault) in msg and "previous checkpoint is intact" in msg
    assert not list(tmp_path.glob(".tmp-step-*"))  # no half checkpoint eating the space
    assert _snapshot(tmp_path) == before
    assert m.latest().name == "step-00000001"


# ---- content digests -----------------------------------------------------------------------


def _flip_a_byte(path, offset=3):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))  # same size: the old size-only manifest missed this


def test_manifest_holds_a_content_digest_of_every_file(tmp_path):
    import hashlib

    m = CheckpointManager(tmp_path)
    d = m.save(1, _write(b"weights"), {"a": 1})
    manifest = json.loads((d / "MANIFEST.json").read_text())
    # SHA-256, not a fast checksum: the manifest's signature vouches for these digests
    assert manifest["digests"]["model.bin"] == "sha256:" + hashlib.sha256(b"weights").hexdigest()
    assert set(manifest["digests"]) == set(manifest["files"]) == {"model.bin", "trainer_state.json"}


@pytest.mark.parametrize("algorithm", ["blake2b", "xxh3_128"])
def test_an_older_manifests_blake2b_or_xxh3_digests_verify_too(tmp_path, algorithm):
    import hashlib

    import xxhash

    m = CheckpointManager(tmp_path)
    d = m.save(1, _write(b"weights"), {})
    manifest = json.loads((d / "MANIFEST.json").read_text())
    manifest["digests"] = {n: file_digest(d / n, algorithm) for n in manifest["files"]}
    assert manifest["digests"]["model.bin"] == f"{algorithm}:" + (
        hashlib.blake2b(b"weights", digest_size=32).hexdigest()
        if algorithm == "blake2b"
        else xxhash.xxh3_128_hexdigest(b"weights")
    )
    (d / "MANIFEST.json").write_text(json.dumps(manifest))
    assert m.verify(d) is None
    _flip_a_byte(d / "model.bin", offset=1)
    assert m.verify(d) == "model.bin does not match its digest (its bytes changed after the write)"


def test_a_flipped_bit_in_the_newest_checkpoint_is_named_and_the_previous_one_used(
    tmp_path, caplog
):
    m = CheckpointManager(tmp_path, keep=3)
    m.save(1, _write(b"aaaaaaaa"), {})
    newest = m.save(2, _write(b"bbbbbbbb"), {})
    _flip_a_byte(newest / "model.bin")
    assert m.verify(newest, digests=False) is None  # sizes alone cannot tell
    with caplog.at_level("WARNING"):
        assert m.latest_intact().name == "step-00000001"
    assert "step-00000002" in caplog.text and "model.bin does not match its digest" in caplog.text


def test_no_intact_checkpoint_stops_naming_each_one(tmp_path):
    from common.rundir.checkpoint import NoIntactCheckpointError

    m = CheckpointManager(tmp_path, keep=3)
    for step in (1, 2):
        _flip_a_byte(m.save(step, _write(b"abcdefgh"), {}) / "model.bin")
    with pytest.raises(NoIntactCheckpointError) as err:
        m.latest_intact()
    msg = str(err.value)
    assert "no intact checkpoint to resume from" in msg
    assert "step-00000002: model.bin does not match" in msg
    assert "step-00000001: model.bin does not match" in msg
    assert m.latest() is None  # the non-raising form


def test_an_older_manifest_without_digests_is_still_accepted_by_size_when_trusted(tmp_path):
    from common.rundir.checkpoint_signing import CheckpointUntrusted

    m = CheckpointManager(tmp_path)
    d = m.save(1, _write(b"ok"), {})
    manifest = json.loads((d / "MANIFEST.json").read_text())
    del manifest["digests"], manifest["signature"]
    (d / "MANIFEST.json").write_text(json.dumps(manifest))
    assert m.verify(d) is None
    with pytest.raises(CheckpointUntrusted, match="not signed"):
        m.latest_intact()  # unsigned: refused unless the user vouches for it
    assert CheckpointManager(tmp_path, trust_unsigned=True).latest_intact() == d
