"""The config's names of parts (``trainer.name``, ``dataset.kind``) checked against their
registries before any model loads.

A registered name is only looked up, never imported (a trainer's module pulls in torch); a
dotted path ``pkg.module:Name`` is imported here, so a typo in it or an import error inside
the user's module fails now, with the config key named, not after the model has loaded.
(``rewards.names`` and ``balancer.name`` are checked where they are used: the reward set and
the mixer are built by :func:`experiments.validate.check_rewards_and_mixer`.)
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from common.core.registry import Registry, is_dotted_path


class PartNameError(ValueError):
    """A part's name is unknown, does not import, or names the wrong kind of object."""


def check_part_name(registry: Registry[Any], name: Any, base: type | None = None) -> Any:
    """Check ``name`` against ``registry``; return the imported object for a dotted path
    (None for a registered name, which is not imported).

    Args:
        registry: the registry the config key draws from (its ``config_key`` names the key).
        name: the config's value.
        base: a class the object at a dotted path must subclass, if any.

    Raises:
        PartNameError: naming ``registry.config_key``, the allowed values and the problem.
    """
    if isinstance(name, str) and name in registry.names():
        return None
    if not (isinstance(name, str) and is_dotted_path(name)):
        raise PartNameError(_text(registry.unknown(str(name))))
    key = registry.config_key
    try:
        obj = registry.get(name)
    except KeyError as err:
        raise PartNameError(f"{key}: {_text(err)}") from None
    if base is not None and not (isinstance(obj, type) and issubclass(obj, base)):
        raise PartNameError(
            f"{key}={name!r} is {obj!r}, not a subclass of {base.__module__}.{base.__qualname__}"
        )
    return obj


def check_trainer_and_dataset(cfg: DictConfig) -> None:
    """``trainer.name`` names a loop, ``dataset.kind`` a loader, and a null ``dataset.path``
    has a bundled sample to stand in for it."""
    from common.data import DATASETS, dataset_kind
    from experiments.trainers import TRAINERS

    name = cfg.trainer.get("name")
    if name in TRAINERS.names():
        check_part_name(TRAINERS, name)
    else:
        from common.training.loop import TrainingLoop  # torch: only for a user's own loop

        check_part_name(TRAINERS, name, TrainingLoop)
    kind = cfg.dataset.get("kind")
    check_part_name(DATASETS, kind)
    try:
        entry = dataset_kind(kind)  # a dotted path's object is a loader or a DatasetKind
    except KeyError as err:
        raise PartNameError(_text(err)) from None
    path = cfg.dataset.get("path")
    if (path is None or str(path).strip() == "") and entry.sample is None:
        raise PartNameError(
            f"dataset.path is null but dataset.kind={kind!r} has no bundled sample; set "
            "dataset.path to the file to load"
        )


def _text(err: Exception) -> str:
    """The message of ``err`` (a KeyError's str() adds quotes)."""
    return str(err.args[0]) if err.args else str(err)
