"""Datasets: loaders for the real formats, the bundled samples, splits and prompt formatting.

:func:`load_dataset` is the one entry the config uses (``dataset.kind`` / ``dataset.path``).
Loaders are imported inside it so ``from common.data.types import Example`` stays cheap and
never depends on optional loaders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.data.errors import DataFormatError
from common.data.types import Example

# kind -> (module, loader function, bundled sample used when no path is given)
DATASET_KINDS: dict[str, tuple[str, str, str]] = {
    "shopbench": ("common.data.shopbench", "load_shopbench", "shopping_sample"),
    "shopping_mmlu": ("common.data.shopping_mmlu", "load_shopping_mmlu", "shopping_sample"),
    "alce": ("common.data.alce", "load_alce", "alce_sample"),
    "gsm8k": ("common.data.gsm8k", "load_gsm8k", "gsm8k_train"),
    # IFEval-format rows (IFEval, IFBench, the project's verifiable multi-constraint testbed)
    "ifeval": ("common.data.ifeval", "load_ifeval", "ifeval_testbed_train"),
    "prompts": ("common.data.prompts", "load_prompts", "prompts_sample"),
    # the same loader; its bundled sample is the categorized instruction-following set
    "instruct": ("common.data.prompts", "load_prompts", "instruct_sample"),
}

# kind -> the bundled held-out file that goes with its bundled training data (used when
# neither dataset.path nor dataset.eval_path is set); other kinds split their data instead.
BUNDLED_EVAL: dict[str, str] = {
    "gsm8k": "gsm8k_test",
    "ifeval": "ifeval_testbed_heldout",
}


def bundled_eval_path(kind: str) -> Path | None:
    """The bundled held-out file of ``kind`` (:data:`BUNDLED_EVAL`), or None."""
    if kind not in BUNDLED_EVAL:
        return None
    from common.data.bundled import bundled_path

    return bundled_path(BUNDLED_EVAL[kind])


def load_dataset(kind: str, path: str | Path | None = None, **kw: Any) -> list[Example]:
    """Load a dataset of ``kind`` from ``path``, or the bundled sample when ``path`` is None.

    Args:
        kind: one of :data:`DATASET_KINDS`.
        path: a file (or, for ``shopping_mmlu``, a folder); None for the bundled sample.
        **kw: passed to the loader (``ndoc`` for ALCE, ``metric`` for prompts and
            Shopping MMLU).

    Raises:
        ValueError: unknown ``kind`` (the message lists the allowed values).
        FileNotFoundError: ``path`` does not exist (the message names it and ``dataset.path``).
        DataFormatError: a row is malformed (file, line and field named), or the file holds
            no rows at all.
    """
    if kind not in DATASET_KINDS:
        raise ValueError(
            f"unknown dataset kind {kind!r}; allowed values: {', '.join(DATASET_KINDS)}"
        )
    module_name, func_name, sample = DATASET_KINDS[kind]
    if path is None or str(path).strip() == "":  # an empty config string means "not set" too
        from common.data.bundled import bundled_path

        path = bundled_path(sample)
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"dataset file {path} does not exist (config key dataset.path; leave it null to "
            f"use the bundled {sample})"
        )
    import importlib

    loader = getattr(importlib.import_module(module_name), func_name)
    examples = loader(path, **kw)
    if not examples:
        # Caught here, for every loader: an empty file would otherwise surface much later
        # as "no rows to split" or an empty batch, far from the file at fault.
        if path.is_dir():
            problem = f"no task file under this folder holds a {kind} row"
        else:
            problem = f"the file holds no {kind} rows (it is empty or blank lines only)"
        raise DataFormatError(path, None, None, problem)
    return examples


__all__ = ["BUNDLED_EVAL", "DATASET_KINDS", "Example", "bundled_eval_path", "load_dataset"]
