"""DeepSpeed config builder (pure) and the engine on CPU with a tiny model."""

import pytest
import torch
from omegaconf import OmegaConf

from common.training.engine import build_ds_config, resolve_precision


def test_stage0_fp32_config():
    cfg = build_ds_config(stage=0, micro_batch_size=4, grad_accum=2, world_size=3)
    assert cfg["train_batch_size"] == 4 * 2 * 3
    assert cfg["zero_optimization"] == {"stage": 0}
    assert "bf16" not in cfg and "fp16" not in cfg
    assert cfg["gradient_clipping"] == 1.0


def test_stage3_offload_bf16_config():
    cfg = build_ds_config(stage=3, precision="bf16", offload_optimizer=True, offload_param=True)
    z = cfg["zero_optimization"]
    assert z["stage"] == 3 and z["offload_optimizer"]["device"] == "cpu"
    assert z["offload_param"]["device"] == "cpu"
    assert z["stage3_gather_16bit_weights_on_model_save"] is True
    assert cfg["bf16"] == {"enabled": True}


def test_buckets_are_sized_to_the_model():
    """h = 576: h^2 = 331776-element buckets, 0.9 h^2 prefetch, 5760 persistence threshold
    (DeepSpeed's own defaults are 5e8 elements, 2 GB of fp32 buffers)."""
    z3 = build_ds_config(stage=3, hidden_size=576)["zero_optimization"]
    assert z3["reduce_bucket_size"] == z3["allgather_bucket_size"] == 331776
    assert z3["stage3_prefetch_bucket_size"] == 298598
    assert z3["stage3_param_persistence_threshold"] == 5760
    z2 = build_ds_config(stage=2, hidden_size=576)["zero_optimization"]
    assert z2["reduce_bucket_size"] == 331776 and "stage3_prefetch_bucket_size" not in z2
    # without a hidden size (or below stage 2) DeepSpeed keeps its defaults
    assert "reduce_bucket_size" not in build_ds_config(stage=3)["zero_optimization"]
    assert build_ds_config(stage=1, hidden_size=576)["zero_optimization"].keys() == {
        "stage",
        "overlap_comm",
        "contiguous_gradients",
    }


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"stage": 4}, "engine.stage=4"),
        ({"precision": "fp8"}, "engine.precision"),
        ({"stage": 2, "offload_param": True}, "offload_param needs engine.stage=3"),
        ({"stage": 0, "offload_optimizer": True}, "offload_optimizer needs"),
    ],
)
def test_invalid_engine_settings_name_the_key(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_ds_config(**kwargs)


def test_auto_precision_follows_the_cpu_bf16_flags(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("CPU-only expectation")
    import common.models.precision as precision

    for flags, expected in (
        ({"avx512f"}, "fp32"),
        ({"avx512f", "avx512_bf16"}, "bf16"),
        ({"amx_bf16", "amx_tile"}, "bf16"),
    ):
        precision.cpu_has_fast_bf16.cache_clear()
        monkeypatch.setattr(precision, "_cpuinfo_flags", lambda f=flags: f)
        monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
        assert resolve_precision("auto") == expected, flags
    precision.cpu_has_fast_bf16.cache_clear()
    assert resolve_precision("bf16") == "bf16"
    assert resolve_precision("fp32") == "fp32"
    with pytest.raises(ValueError, match="allowed values: auto, fp32, bf16"):
        resolve_precision("half")


def _train_two_steps(stage: int, **engine):
    from common.models.assets import load_causal_lm
    from common.training.engine import TrainEngine
    from common.training.policy import disable_dropout

    model, tok = load_causal_lm("tiny-gpt2", seed=0)
    disable_dropout(model)  # dropout would make every run differ
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    engine = {"precision": "fp32", **engine}
    engine = TrainEngine(
        model, opt, None, OmegaConf.create({"stage": stage, "grad_clip": 1.0, **engine}), 2
    )
    ids = tok(["hello world foo", "bar baz qux"], return_tensors="pt", padding=True)["input_ids"]
    losses = []
    for _ in range(2):
        out = engine(input_ids=ids, labels=ids)
        engine.backward(out.loss)
        engine.step()
        losses.append(out.loss.item())
    return losses, engine


def test_zero_stages_agree_on_the_first_steps():
    """Sharding must not change the maths: same losses for ZeRO 0-3 in one process."""
    ref, _ = _train_two_steps(0)
    assert ref[1] < ref[0]  # it learns
    for stage in (1, 2, 3):
        losses, _ = _train_two_steps(stage)
        assert losses == pytest.approx(ref, rel=1e-4), stage
    # engine=zero3_offload: optimizer state and parameters in CPU memory, same maths
    losses, _ = _train_two_steps(3, offload_optimizer=True, offload_param=True)
    assert losses == pytest.approx(ref, rel=1e-4)


def _master_and_state_dtypes(engine) -> set[torch.dtype]:
    opt = engine.ds_engine.optimizer
    masters = [
        getattr(opt, a)
        for a in ("fp32_groups", "single_partition_of_fp32_groups", "fp32_partitioned_groups_flat")
        if hasattr(opt, a)
    ]
    flat = [t for g in masters[0] for t in (g if isinstance(g, list) else [g])]
    state = [v for s in opt.optimizer.state.values() for v in s.values() if v.dim() > 0]
    return {t.dtype for t in flat + state}


@pytest.mark.parametrize("stage", [0, 2, 3])
def test_bf16_computes_in_bf16_and_keeps_fp32_master_weights_and_adam_state(stage):
    """precision=bf16 is DeepSpeed's bf16 mode on CPU too: the module is bf16, the optimizer
    steps fp32 copies, and the losses follow the fp32 run within bf16's resolution."""
    ref, _ = _train_two_steps(0)
    losses, engine = _train_two_steps(stage, precision="bf16")
    assert engine.precision == "bf16"
    assert next(engine.module.parameters()).dtype == torch.bfloat16
    assert _master_and_state_dtypes(engine) == {torch.float32}
    # bf16 keeps 8 mantissa bits: ~0.4 % per value; the loss of a 2-layer model stays within 1 %
    assert losses == pytest.approx(ref, rel=1e-2)
    assert losses[1] < losses[0]


def test_checkpoint_roundtrip(tmp_path):
    _, engine = _train_two_steps(0)
    engine.save(tmp_path, "t", {"k": 1})
    before = [p.detach().clone() for p in engine.module.parameters()]
    with torch.no_grad():
        for p in engine.module.parameters():
            p.add_(1.0)
    assert engine.load(tmp_path, "t")["k"] == 1
    for a, b in zip(before, engine.module.parameters(), strict=True):
        assert torch.equal(a, b)


def test_zero_overrides_are_set_last_and_stage_is_refused():
    z = build_ds_config(
        stage=3,
        hidden_size=576,
        zero_overrides={"stage3_max_live_parameters": 10**7, "reduce_bucket_size": 5},
    )["zero_optimization"]
    assert z["stage3_max_live_parameters"] == 10**7 and z["reduce_bucket_size"] == 5
    with pytest.raises(ValueError, match="engine.zero.stage"):
        build_ds_config(stage=2, zero_overrides={"stage": 3})
