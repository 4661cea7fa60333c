"""Datasets: loaders for the real formats, the bundled samples, splits and prompt formatting.

:func:`load_dataset` is the one entry the config uses (``dataset.kind`` / ``dataset.path``).
``dataset.kind`` names an entry of :data:`DATASETS`, or a user's loader by its dotted path
(``dataset.kind=my_pkg.data:load_mine``, a function ``(path, **kw) -> list[Example]``, or a
:class:`DatasetKind`). Loaders are imported on first use so ``from common.data.types import
Example`` stays cheap and never depends on optional loaders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.core.registry import Registry, import_dotted
from common.data.errors import DataFormatError
from common.data.types import Example

Loader = Callable[..., list[Example]]


@dataclass(frozen=True)
class DatasetKind:
    """One ``dataset.kind``: its loader and the bundled files that stand in for a path.

    Attributes:
        loader: ``"module:function"`` (imported on first use) or the function itself,
            ``(path, **kw) -> list[Example]``.
        sample: the bundled file read when ``dataset.path`` is null (None: a path is needed).
        bundled_eval: the bundled held-out file that goes with ``sample`` (used when neither
            ``dataset.path`` nor ``dataset.eval_path`` is set); None: the data is split.
    """

    loader: str | Loader
    sample: str | None = None
    bundled_eval: str | None = None

    def load_function(self) -> Loader:
        return import_dotted(self.loader) if isinstance(self.loader, str) else self.loader


DATASETS: Registry[DatasetKind] = Registry("dataset kind", "dataset.kind")
for _kind, _entry in {
    "shopbench": DatasetKind("common.data.shopbench:load_shopbench", "shopping_sample"),
    "shopping_mmlu": DatasetKind("common.data.shopping_mmlu:load_shopping_mmlu", "shopping_sample"),
    "alce": DatasetKind("common.data.alce:load_alce", "alce_sample"),
    "gsm8k": DatasetKind("common.data.gsm8k:load_gsm8k", "gsm8k_train", "gsm8k_test"),
    # IFEval-format rows (IFEval, IFBench, the project's verifiable multi-constraint testbed)
    "ifeval": DatasetKind(
        "common.data.ifeval:load_ifeval", "ifeval_testbed_train", "ifeval_testbed_heldout"
    ),
    "prompts": DatasetKind("common.data.prompts:load_prompts", "prompts_sample"),
    # the same loader; its bundled sample is the categorized instruction-following set
    "instruct": DatasetKind("common.data.prompts:load_prompts", "instruct_sample"),
}.items():
    DATASETS.add(_kind, _entry)


def dataset_kind(kind: str) -> DatasetKind:
    """The :class:`DatasetKind` of ``kind``: a registered name, or a dotted path to a
    :class:`DatasetKind` or to a loader function (which then has no bundled sample).

    Raises:
        KeyError: unknown ``kind`` (the message names ``dataset.kind`` and the allowed
            values), or a dotted path that does not import or is not a loader.
    """
    entry = DATASETS.get(kind)
    if isinstance(entry, DatasetKind):
        return entry
    if callable(entry) and not isinstance(entry, type):
        return DatasetKind(entry)
    raise KeyError(f"dataset.kind={kind!r} is {entry!r}, not a loader function or DatasetKind")


def bundled_eval_path(kind: str) -> Path | None:
    """The bundled held-out file of ``kind`` (:attr:`DatasetKind.bundled_eval`), or None."""
    name = dataset_kind(kind).bundled_eval
    if name is None:
        return None
    from common.data.bundled import bundled_path

    return bundled_path(name)


def load_dataset(kind: str, path: str | Path | None = None, **kw: Any) -> list[Example]:
    """Load a dataset of ``kind`` from ``path``, or the bundled sample when ``path`` is None.

    Args:
        kind: a name in :data:`DATASETS`, or a dotted path (see :func:`dataset_kind`).
        path: a file (or, for ``shopping_mmlu``, a folder); None for the bundled sample.
        **kw: passed to the loader (``ndoc`` for ALCE, ``metric`` for prompts and
            Shopping MMLU).

    Raises:
        KeyError: unknown ``kind`` (the message lists the allowed values).
        ValueError: ``path`` is None and ``kind`` has no bundled sample.
        FileNotFoundError: ``path`` does not exist (the message names it and ``dataset.path``).
        DataFormatError: a row is malformed (file, line and field named), or the file holds
            no rows at all.
    """
    entry = dataset_kind(kind)
    if path is None or str(path).strip() == "":  # an empty config string means "not set" too
        if entry.sample is None:
            raise ValueError(
                f"dataset.path is not set and dataset.kind={kind!r} has no bundled sample"
            )
        from common.data.bundled import bundled_path

        path = bundled_path(entry.sample)
    path = Path(path).expanduser()
    if not path.exists():
        bundled = f"leave it null to use the bundled {entry.sample}" if entry.sample else "set it"
        raise FileNotFoundError(
            f"dataset file {path} does not exist (config key dataset.path; {bundled})"
        )
    examples = entry.load_function()(path, **kw)
    if not examples:
        # Caught here, for every loader: an empty file would otherwise surface much later
        # as "no rows to split" or an empty batch, far from the file at fault.
        if path.is_dir():
            problem = f"no task file under this folder holds a {kind} row"
        else:
            problem = f"the file holds no {kind} rows (it is empty or blank lines only)"
        raise DataFormatError(path, None, None, problem)
    return examples


__all__ = [
    "DATASETS",
    "DatasetKind",
    "Example",
    "bundled_eval_path",
    "dataset_kind",
    "load_dataset",
]
