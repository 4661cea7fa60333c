"""Name -> scorer class registry. One name maps to exactly one scorer; duplicates are refused.

A new metric is one module that decorates its class with ``@register_scorer("name")`` plus
one import line in ``common/rewards/__init__.py``.
"""

from __future__ import annotations

from typing import Any

from common.rewards.base import Scorer

_REGISTRY: dict[str, type[Scorer]] = {}


def register_scorer(name: str):
    """Class decorator: register ``cls`` under ``name`` and set ``cls.name``."""

    def wrap(cls: type[Scorer]) -> type[Scorer]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(
                f"scorer name {name!r} is already registered by {_REGISTRY[name].__qualname__}"
            )
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def available_scorers() -> list[str]:
    return sorted(_REGISTRY)


def scorer_class(name: str) -> type[Scorer]:
    if name not in _REGISTRY:
        raise KeyError(
            f"unknown reward metric {name!r}; allowed values: {', '.join(available_scorers())}"
        )
    return _REGISTRY[name]


def build_scorer(name: str, **kwargs: Any) -> Scorer:
    """Instantiate the scorer registered under ``name`` with keyword options."""
    return scorer_class(name)(**kwargs)
