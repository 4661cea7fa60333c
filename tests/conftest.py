"""Shared fixtures: offline environment, tiny models, the shared benchmark file, torch's own
``F.linear`` restored after each test (DeepSpeed ZeRO-3 replaces it), and the
helpers several test packages use (parameter snapshots, an injected death at a step, metrics
rows without timings, a child process's environment)."""

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


@pytest.fixture(autouse=True)
def torch_linear_restored():
    """Every test starts with torch's own ``torch.nn.functional.linear``.

    Building a ZeRO-3 DeepSpeed engine replaces it, process-wide, with DeepSpeed's
    memory-efficient linear and leaves it so ("This will persist unless manually reset"). A
    later test in the same process would then run every ``nn.Linear`` through DeepSpeed's op:
    in bf16 its bias is added after the product is rounded (not torch's fused result), and
    its backward takes any parameter with a ``ds_id`` for a ZeRO-3 partitioned one.
    """
    yield
    import torch

    torch.nn.functional.linear = torch._C._nn.linear


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
    from common.models.assets import load_causal_lm

    return load_causal_lm("tiny-gpt2", seed=0)


# ---- helpers shared by the trainer tests (tests/drbo, tests/laser, tests/common) -------------
class Killed(Exception):
    """A process death injected into a training loop at a chosen step (:func:`kill_at_step`)."""


@pytest.fixture
def param_snapshot():
    """``snapshot(loop) -> {name: tensor}``: a copy of every parameter of a loop's engine
    module, to tell which weights a step changed."""

    def snapshot(loop) -> dict:
        return {n: p.detach().clone() for n, p in loop.policy.named_parameters()}

    return snapshot


@pytest.fixture
def kill_at_step():
    """``kill(loop, step)``: make ``loop.train_step`` raise :class:`Killed` when it reaches
    ``step`` (the steps before it run as usual); returns :class:`Killed` for ``pytest.raises``."""

    def kill(loop, step: int) -> type[Killed]:
        original = loop.train_step

        def dies_at(s, batch):
            if s == step:
                raise Killed
            return original(s, batch)

        loop.train_step = dies_at
        return Killed

    return kill


@pytest.fixture
def multinomial_draws(monkeypatch):
    """The decode loop draws sampled tokens with ``torch.multinomial``, as transformers'
    ``generate`` does, so its tokens can be compared with ``generate``'s token for token
    (``common.generation.sampling.draw`` samples the same distribution with other random
    numbers)."""
    import torch

    import common.generation.sampling

    monkeypatch.setattr(
        common.generation.sampling,
        "draw",
        lambda probs: torch.multinomial(probs, num_samples=1).squeeze(1),
    )


@pytest.fixture
def without_timings():
    """``strip(rows)``: metrics.jsonl rows without the figures that differ between two runs of
    the same trajectory (``time/*``, ``tokens_per_s``); everything else must match."""

    def strip(rows: list[dict]) -> list[dict]:
        return [
            {k: v for k, v in r.items() if not k.startswith(("time/", "tokens_per_s"))}
            for r in rows
        ]

    return strip


@pytest.fixture
def child_env() -> dict[str, str]:
    """The environment for a child process (``python -m experiments.run``, torchrun): this
    one's without the rendezvous variables an in-process DeepSpeed test may have set (the
    child picks its own free port), offline."""
    dist = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}
    env = {k: v for k, v in os.environ.items() if k not in dist}
    env.update(HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    return env


@pytest.fixture(autouse=True, scope="session")
def checkpoint_key_dir(tmp_path_factory):
    """Checkpoint signing keys (common.rundir.checkpoint_signing) in a folder of the test session,
    never the developer's ~/.config; child processes inherit it."""
    os.environ["MULTIREWARD_KEY_DIR"] = str(tmp_path_factory.mktemp("checkpoint-key"))
    return Path(os.environ["MULTIREWARD_KEY_DIR"])
