"""Who wrote a checkpoint: an HMAC over its manifest, made with a key only this user holds.

A manifest's digests tell a damaged file from a good one, but anyone who can write into a run
folder can recompute them. DeepSpeed's shards are pickles, and unpickling a file runs whatever
code it names, so before they load the manifest must carry an HMAC-SHA256 made with this
user's key: the key is outside every run folder, so a file planted in a checkpoint (and a
manifest recomputed to match it) cannot carry a valid signature. The MAC covers the manifest's
canonical JSON (sorted keys, no spaces, the ``signature`` field left out), and the manifest
covers every file by SHA-256, so a signed manifest pins every byte of the checkpoint.

The key is ``$MULTIREWARD_KEY_DIR/checkpoint.key``, else
``$XDG_CONFIG_HOME/multireward/checkpoint.key`` (``~/.config/multireward/checkpoint.key``):
32 random bytes as hex, created on first use with mode 0600. Copy it to another machine (or
point ``MULTIREWARD_KEY_DIR`` at a shared folder) to trust that machine's checkpoints there;
``python -m common.rundir.sign_checkpoint sign FOLDER`` signs one folder you trust with your key;
``trust_checkpoint=true`` resumes from an unsigned one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

KEY_ENV = "MULTIREWARD_KEY_DIR"
KEY_FILE = "checkpoint.key"
SIGNATURE = "signature"
MAC_ALGORITHM = "hmac-sha256"
# Digests a signed manifest may use: ones nobody can match with other bytes. XXH3 (fast,
# written by older versions) detects corruption only: a forger can pick bytes for a digest.
CRYPTOGRAPHIC_DIGESTS = ("sha256", "blake2b")


class CheckpointUntrusted(RuntimeError):
    """A checkpoint is not signed with this user's key; it is not loaded (its DeepSpeed shards
    are pickles, and unpickling runs code). The message names the folder, why, and what to do
    for a checkpoint the user trusts."""


def key_path() -> Path:
    """Where this user's checkpoint key lives (see the module docstring)."""
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV]) / KEY_FILE
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "multireward" / KEY_FILE


def _create_key(path: Path) -> None:
    """Write a fresh key to ``path`` (0600) unless another process got there first: the key
    is written to a private temporary file and linked into place, so a rank that reads it
    never sees half a key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
            log.info("created the checkpoint signing key %s", path)
        except FileExistsError:
            pass  # another rank or run created it first: use theirs
    finally:
        tmp.unlink(missing_ok=True)


def load_key(create: bool = True) -> bytes | None:
    """This user's key (created when missing and ``create``), or None when it does not exist.

    Raises:
        OSError: the key cannot be created or read; the message names the file and
            ``MULTIREWARD_KEY_DIR``.
    """
    path = key_path()
    try:
        if not path.exists():
            if not create:
                return None
            _create_key(path)
        text = path.read_text().strip()
        if path.stat().st_mode & 0o077:
            log.warning("checkpoint key %s is readable by others: chmod 600 it", path)
        return bytes.fromhex(text)
    except ValueError as err:
        raise OSError(f"checkpoint key {path} is not a hex string: {err}") from err
    except OSError as err:
        raise OSError(
            f"checkpoint key {path} cannot be created or read ({err}); set {KEY_ENV} to a "
            "private, writable folder outside the run directories"
        ) from err


def key_id(key: bytes) -> str:
    """A short public name of a key (not the key): which key signed a checkpoint."""
    return hashlib.sha256(b"multireward checkpoint key id\0" + key).hexdigest()[:16]


def _canonical(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != SIGNATURE}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _mac(key: bytes, manifest: dict[str, Any]) -> str:
    return hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()


def sign(manifest: dict[str, Any], key: bytes | None = None) -> dict[str, Any]:
    """``manifest`` with a ``signature`` field: ``{algorithm, key_id, mac}``."""
    key = load_key() if key is None else key
    signature = {"algorithm": MAC_ALGORITHM, "key_id": key_id(key), "mac": _mac(key, manifest)}
    return {**{k: v for k, v in manifest.items() if k != SIGNATURE}, SIGNATURE: signature}


def untrusted_reason(manifest: dict[str, Any]) -> str | None:
    """Why ``manifest`` does not prove it was written with this user's key (None: it does).
    It checks the manifest alone: that the files match its digests is
    :meth:`common.rundir.checkpoint.CheckpointManager.verify`'s job."""
    signature = manifest.get(SIGNATURE)
    if not isinstance(signature, dict):
        return "its manifest is not signed (written by an older version, or edited)"
    if signature.get("algorithm") != MAC_ALGORITHM:
        return f"its signature uses {signature.get('algorithm')!r}, not {MAC_ALGORITHM}"
    key = load_key(create=False)
    if key is None:
        return f"there is no checkpoint key on this machine ({key_path()})"
    if signature.get("key_id") != key_id(key):
        return (
            f"it was signed with another key (id {signature.get('key_id')}; this user's key "
            f"{key_path()} has id {key_id(key)}): another user's or another machine's"
        )
    if not hmac.compare_digest(str(signature.get("mac")), _mac(key, manifest)):
        return "its manifest was changed after it was signed (the signature does not match)"
    digests = manifest.get("digests")
    if not isinstance(digests, dict) or set(digests) != set(manifest.get("files", {})):
        return "its manifest does not give a digest for every file"
    weak = sorted(n for n, d in digests.items() if d.partition(":")[0] not in CRYPTOGRAPHIC_DIGESTS)
    if weak:
        return f"{weak[0]} has a non-cryptographic digest ({digests[weak[0]].partition(':')[0]})"
    return None


def untrusted_error(folder: Path, reason: str) -> CheckpointUntrusted:
    """The error that refuses ``folder``, saying what to do for a checkpoint one trusts."""
    return CheckpointUntrusted(
        f"checkpoint {folder} is not loaded: {reason}. Its DeepSpeed shards are pickles, and "
        "loading a pickle runs any code planted in it. If you trust this checkpoint (you wrote "
        f"it, e.g. on another machine or with another key), sign it with your key: python -m "
        f"common.rundir.sign_checkpoint sign {folder} ; or resume once with trust_checkpoint=true "
        f"(later checkpoints are signed with {key_path()}). Otherwise move it away: the run "
        "then resumes from an older checkpoint or starts over."
    )
