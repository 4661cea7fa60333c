"""The ``nn.Module`` inside a policy handle: generation and log-probs take either a bare model
or the training engine's wrapper, and read parameters and submodules through this."""

from __future__ import annotations

import torch


def module_of(model) -> torch.nn.Module:
    """The ``nn.Module`` of ``model``, which may be a callable wrapper around it
    (common.training.engine's TrainEngine keeps it as ``.module``)."""
    return model if isinstance(model, torch.nn.Module) else model.module
