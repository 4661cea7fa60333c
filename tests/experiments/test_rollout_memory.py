"""A rollout too large for the free memory fails before the model loads, naming the keys
and the estimate (issue 29: trainer.n_samples=4096 failed with a raw allocator error after
the model loaded and "eval before" ran)."""

from __future__ import annotations

import pytest

from experiments import rollout_memory
from experiments.compose import compose_config
from experiments.validate import ConfigError, validate_config

GIB = 2**30


@pytest.fixture
def eight_gib(monkeypatch):
    monkeypatch.setattr(rollout_memory, "available_bytes", lambda: (8 * GIB, "available (test)"))


def test_too_many_samples_fail_before_the_model_loads_naming_the_keys(eight_gib):
    with pytest.raises(ConfigError) as err:
        validate_config(compose_config("+exp=laser_debug", "trainer.n_samples=4096"))
    msg = str(err.value)
    assert msg.startswith("trainer.batch_size x trainer.n_samples = 8192 rows of up to 500 prompt")
    assert "need at least 43.4 GiB for the KV cache and logits of model tiny-gpt2" in msg
    assert (
        "more than the 8.0 GiB available (test): lower trainer.batch_size or trainer.n_samples"
        in msg
    )


@pytest.mark.parametrize("exp", ["+exp=debug", "+exp=laser_debug"])
def test_the_debug_runs_fit_in_a_little_memory(exp, monkeypatch):
    monkeypatch.setattr(rollout_memory, "available_bytes", lambda: (GIB, "available (test)"))
    validate_config(compose_config(exp))


def test_kv_bytes_follow_grouped_query_attention():
    llama = {"num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8}
    llama |= {"hidden_size": 4096, "vocab_size": 128256}
    # K and V x 32 layers x 8 kv heads x 128 dims x 2 bytes (bf16) = 128 KiB a token
    assert rollout_memory.kv_bytes_per_token(llama, 2) == 131072
    batch = rollout_memory.RolloutBatch(4, ("trainer.batch_size",), logprobs=False)
    assert rollout_memory.rollout_bytes(batch, 100, 28, llama, 2) == (
        4 * 128 * 131072 + 4 * 128256 * 4
    )
    assert rollout_memory.kv_bytes_per_token({"model_type": "unknown"}, 2) is None
