"""The one registration mechanism: name -> part, for scorers, mixers, datasets, trainers,
advantage estimators and policy losses alike.

A part registers itself where it is defined (``@SCORERS.register("bleu")``), or is listed
lazily as ``"module:attr"`` so that looking a name up never imports torch before the config is
checked (trainers). Wherever a config names a part, a dotted path ``pkg.module:Name`` is
accepted as well, so a user's own reward or mixer needs no edit inside the project::

    balancer.name=my_pkg.mixers:MyMixer   rewards.names=[bleu,my_pkg.rewards:MyScorer]

Duplicate names are refused; an unknown name raises ``KeyError`` naming the config key, the
allowed values and the closest match.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def is_dotted_path(name: str) -> bool:
    """``pkg.module:Attr``: a part named by where it lives rather than by a registered name."""
    module, sep, attr = name.partition(":")
    return bool(sep and module and attr and attr.replace(".", "").replace("_", "").isalnum())


def import_dotted(path: str) -> Any:
    """The object at ``pkg.module:Attr`` (``Attr`` may be dotted: ``Outer.Inner``)."""
    module_name, _, attr = path.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as err:
        raise KeyError(f"{path!r}: cannot import module {module_name!r} ({err})") from err
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise KeyError(f"{path!r}: module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


class Registry(Generic[T]):
    """Name -> part, for one kind of part.

    Args:
        kind: what the parts are, for messages ("reward metric", "balancer").
        config_key: the config key that names one ("rewards.names", "balancer.name").
        load_builtins: called once before the first lookup, to import the modules whose
            decorators register the built-in parts (so a registry is complete without a
            hand-kept import list).
    """

    def __init__(
        self, kind: str, config_key: str, load_builtins: Callable[[], None] | None = None
    ) -> None:
        self.kind = kind
        self.config_key = config_key
        self._entries: dict[str, T] = {}
        self._lazy: dict[str, str] = {}
        self._load_builtins = load_builtins

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated class or function under ``name``."""

        def wrap(obj: T) -> T:
            self.add(name, obj)
            return obj

        return wrap

    def add(self, name: str, obj: T) -> None:
        """Register ``obj`` under ``name``; a second, different part of that name is refused."""
        known = self._entries.get(name)
        if (known is not None and known is not obj) or name in self._lazy:
            owner = getattr(known, "__qualname__", self._lazy.get(name, repr(known)))
            raise ValueError(f"{self.kind} name {name!r} is already registered by {owner}")
        self._entries[name] = obj

    def add_lazy(self, name: str, target: str) -> None:
        """Register ``"module:attr"`` under ``name``, imported on first lookup."""
        if name in self._entries or (name in self._lazy and self._lazy[name] != target):
            raise ValueError(f"{self.kind} name {name!r} is already registered")
        self._lazy[name] = target

    def _ensure_builtins(self) -> None:
        if self._load_builtins is not None:
            load, self._load_builtins = self._load_builtins, None
            load()

    def names(self) -> list[str]:
        """The registered names, sorted."""
        self._ensure_builtins()
        return sorted({*self._entries, *self._lazy})

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self.names() or is_dotted_path(name))

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def unknown(self, name: str) -> KeyError:
        """The error for a name that is neither registered nor a dotted path."""
        allowed = self.names()
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return KeyError(
            f"{self.config_key}={name!r}: unknown {self.kind}{hint}; allowed values: "
            f"{', '.join(allowed)}, or a dotted path pkg.module:Name"
        )

    def get(self, name: str) -> T:
        """The part registered as ``name``, or the object at the dotted path ``name``."""
        self._ensure_builtins()
        if name in self._entries:
            return self._entries[name]
        if name in self._lazy:
            obj = import_dotted(self._lazy[name])
            self._entries[name] = obj
            del self._lazy[name]
            return obj
        if is_dotted_path(name):
            return import_dotted(name)
        raise self.unknown(name)
