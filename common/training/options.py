"""A table entry's options from the trainer config: the keyword-only parameters of a pure
function (an advantage estimator, a policy loss) are read from ``trainer.<name>`` when the
config sets them, and keep the function's default otherwise. So an entry says which config
keys it reads in its own signature, and no loop lists them."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any


def keyword_options(fn: Callable[..., Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """``{name: config[name]}`` for each keyword-only parameter of ``fn`` the config sets
    (a ``None`` value counts as unset: the function's default applies)."""
    out: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind is inspect.Parameter.KEYWORD_ONLY and config.get(name) is not None:
            out[name] = config[name]
    return out


def takes(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` has a parameter called ``name`` (an estimator asking for an input)."""
    return name in inspect.signature(fn).parameters
