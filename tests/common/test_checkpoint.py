import json

from common.checkpoint import CheckpointManager


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
    (d / "MANIFEST.json").write_text(json.dumps(manifest))
    assert m.verify(d) == "unreadable trainer state"
    assert m.latest() is None
