"""``SCORERS``: reward metric name -> scorer class (the one registry of
:mod:`common.core.registry`).

A new metric is one module in this package whose class is decorated
``@SCORERS.register("name")``: the first lookup imports every module of the package, so
nothing else lists it. A user's own scorer needs no file here at all: name it by its dotted
path, ``rewards.names=[bleu4,my_pkg.rewards:MyScorer]``.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from common.core.registry import Registry
from common.rewards.base import Scorer


def _import_scorer_modules() -> None:
    """Import every module of :mod:`common.rewards` (not its subpackages, which register
    nothing), so each ``@SCORERS.register`` has run."""
    import common.rewards as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg:
            importlib.import_module(f"{package.__name__}.{info.name}")


class ScorerRegistry(Registry[type[Scorer]]):
    """A :class:`Registry` that also names each scorer class after its registered name
    (``Scorer.name``: the label of its ``RewardOutput`` and its error messages)."""

    def add(self, name: str, obj: type[Scorer]) -> None:
        super().add(name, obj)
        obj.name = name


SCORERS = ScorerRegistry("reward metric", "rewards.names", load_builtins=_import_scorer_modules)


def build_scorer(name: str, **kwargs: Any) -> Scorer:
    """Instantiate the scorer registered as ``name`` (or at the dotted path ``name``) with
    keyword options. A scorer found by its dotted path that sets no ``name`` of its own is
    named by that path."""
    cls = SCORERS.get(name)
    if not (isinstance(cls, type) and issubclass(cls, Scorer)):
        raise TypeError(
            f"{SCORERS.config_key}: {name!r} is {cls!r}, not a subclass of "
            "common.rewards.base.Scorer"
        )
    scorer = cls(**kwargs)
    if scorer.name == Scorer.name:
        scorer.name = name
    return scorer
