"""A config-schema field with its one-line help: the trainer's and the balancer's schemas
(common/training/config.py, common/mixers/config.py) state type, default and help with it."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from omegaconf import MISSING


def schema_field(text: str, default: Any = MISSING, **kwargs: Any) -> Any:
    """A dataclass field with its help in ``metadata["help"]``; no default means required
    (``MISSING``) unless ``default_factory`` is given."""
    if default is not MISSING or "default_factory" not in kwargs:
        kwargs["default"] = default
    return field(metadata={"help": text}, **kwargs)
