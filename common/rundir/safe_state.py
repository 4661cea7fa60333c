"""State the project writes into checkpoints itself, in formats that load without running code.

A pickle (``torch.save``) runs whatever code it names when it loads; a checkpoint folder is
only as trustworthy as whoever could write into it. So the project's own files are
safetensors (a JSON header and raw tensor bytes) and JSON:

- ``rng_rank{r}.safetensors``: the random states of one rank. Tensors: ``torch`` (the CPU
  generator's uint8 state), ``cuda.{i}`` (one per visible CUDA device, when CUDA is in use),
  ``numpy.keys`` (the 624 MT19937 words, as int64). Header metadata, as JSON strings:
  ``numpy`` (``[pos, has_gauss, cached_gaussian]``) and ``python`` (``random.getstate()``:
  ``[version, [625 ints], gauss_next]``).
- ``reference.safetensors``: LASeR's reference weights (:func:`save_tensors`).

Files with the old names (``rng_rank{r}.pt``, ``reference.pt``: pickles) are refused with
:class:`LegacyPickleCheckpoint`, never unpickled.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from common.rundir.checkpoint_signing import CheckpointUntrusted

_ALIASES = "aliases"  # metadata key: {name: name it shares storage with}


class LegacyPickleCheckpoint(CheckpointUntrusted):
    """A checkpoint written before the project stopped pickling its own state: the file named
    in the message is a pickle, and it is not loaded."""


def refuse_legacy(folder: Path, old: str, new: str) -> None:
    """Raise :class:`LegacyPickleCheckpoint` when ``folder`` has ``old`` but not ``new``."""
    if (folder / old).exists() and not (folder / new).exists():
        raise LegacyPickleCheckpoint(
            f"checkpoint {folder} holds {old}, a pickle written by an older version of this "
            f"project (now {new}); it is not loaded, since loading a pickle runs any code "
            "planted in it. Finish this run with the version that wrote it, or start a new run "
            "directory (or move the checkpoints/ folder away)."
        )


def save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    """Write ``{name: tensor}`` as safetensors. Tensors that share storage (tied embeddings:
    GPT-2's ``lm_head.weight`` is ``transformer.wte.weight``) are written once; the other names
    are recorded as aliases in the header and restored by :func:`load_tensors`."""
    unique: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple, str] = {}
    storages: set[tuple] = set()
    for name, t in tensors.items():
        t = t.detach()
        storage = (t.device, t.untyped_storage().data_ptr())
        view = (*storage, t.storage_offset(), t.shape, t.stride())
        if view in seen:
            aliases[name] = seen[view]
            continue
        seen[view] = name
        # another view of a storage already written (a slice of a flat buffer): a copy of its
        # own, as safetensors refuses tensors that overlap
        unique[name] = t.clone() if storage in storages else t.contiguous()
        storages.add(storage)
    save_file(unique, str(path), metadata={_ALIASES: json.dumps(aliases)})


def load_tensors(path: Path, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """What :func:`save_tensors` wrote, aliases restored (sharing the named tensor)."""
    tensors = load_file(str(path), device=str(device))
    with safe_open(str(path), framework="pt") as f:
        aliases = json.loads((f.metadata() or {}).get(_ALIASES, "{}"))
    for name, target in aliases.items():
        tensors[name] = tensors[target]
    return tensors


def save_rng_state(path: Path) -> None:
    """The random states of python's ``random``, numpy's global generator, torch's CPU
    generator and (when CUDA is initialized) every CUDA device's, to one safetensors file."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    if kind != "MT19937":
        raise ValueError(f"numpy's global generator is {kind}, not MT19937")
    version, words, gauss_next = random.getstate()
    tensors = {
        "torch": torch.get_rng_state(),
        "numpy.keys": torch.from_numpy(keys.astype(np.int64)),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda.{i}"] = state
    metadata = {
        "numpy": json.dumps([int(pos), int(has_gauss), float(cached)]),
        "python": json.dumps([version, list(words), gauss_next]),
    }
    save_file(tensors, str(path), metadata=metadata)


def load_rng_state(path: Path) -> None:
    """Restore what :func:`save_rng_state` wrote (CUDA states where this process has the
    same number of devices; a resume on another device count draws fresh CUDA numbers)."""
    tensors = load_file(str(path))
    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata() or {}
    try:
        pos, has_gauss, cached = json.loads(metadata["numpy"])
        version, words, gauss_next = json.loads(metadata["python"])
        keys = tensors["numpy.keys"].numpy().astype(np.uint32)
        cpu = tensors["torch"]
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: not an RNG state file ({type(err).__name__}: {err})") from err
    torch.set_rng_state(cpu)
    np.random.set_state(("MT19937", keys, int(pos), int(has_gauss), float(cached)))
    random.setstate((int(version), tuple(int(w) for w in words), gauss_next))
    cuda = [tensors[f"cuda.{i}"] for i in range(len(tensors)) if f"cuda.{i}" in tensors]
    if cuda and torch.cuda.is_available() and torch.cuda.device_count() == len(cuda):
        torch.cuda.set_rng_state_all(cuda)
