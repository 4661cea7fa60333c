"""Shared fixtures: offline environment, tiny models, the shared benchmark file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# No hub, no W&B network, whatever the developer's shell says.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parents[1]
# ../shared/data beside the checkout; MULTIREWARD_SHARED_DATA points elsewhere (a worktree).
SHARED_DATA = Path(os.environ.get("MULTIREWARD_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session")
def shopbench_dev() -> Path:
    """The real ShopBench dev file beside the checkout; tests skip cleanly without it."""
    path = SHARED_DATA / "shopbench_dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not present (it lives in ../shared/data beside the checkout)")
    return path


@pytest.fixture(scope="session")
def tiny_lm():
    """(model, tokenizer): a 2-layer random GPT-2 with GPT-2's tokenizer, left padding."""
    from common.assets import load_causal_lm

    return load_causal_lm("tiny-gpt2", seed=0)
