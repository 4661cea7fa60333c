"""The project's sampling settings mapped to vLLM's SamplingParams (no vLLM needed)."""

import pytest
from transformers import GenerationConfig

from common.generation.rollout import _NEUTRAL_GENERATION
from common.generation.vllm_params import check_plain_generation, sampling_params_kwargs


def test_greedy_rows_take_the_argmax_and_stop_on_the_policys_eos_only():
    kw = sampling_params_kwargs(
        do_sample=False, max_new_tokens=12, eos_ids=[7, 2, 7], temperature=0.8, top_p=0.5
    )
    # temperature 0 is vLLM's argmax; the sampling knobs of the trainer do not apply
    assert kw["temperature"] == 0.0 and kw["top_p"] == 1.0 and kw["seed"] is None
    assert kw["max_tokens"] == 12 and kw["n"] == 1
    # the loop's stop rule: the first of the policy's EOS ids, nothing else (vLLM's own
    # tokenizer EOS is ignored so it cannot add a stop the loop lacks)
    assert kw["stop_token_ids"] == [2, 7] and kw["ignore_eos"] is True
    assert kw["detokenize"] is False


def test_sampled_rows_keep_temperature_top_p_and_no_other_warper():
    kw = sampling_params_kwargs(
        do_sample=True,
        max_new_tokens=5,
        eos_ids=[0],
        temperature=0.8,
        top_p=0.9,
        min_new_tokens=2,
        seed=123,
    )
    assert (kw["temperature"], kw["top_p"], kw["seed"], kw["min_tokens"]) == (0.8, 0.9, 123, 2)
    # transformers' distribution as the loop samples it: no top-k, min-p or penalties
    assert kw["top_k"] == 0 and kw["min_p"] == 0.0
    assert kw["repetition_penalty"] == 1.0
    assert kw["presence_penalty"] == kw["frequency_penalty"] == 0.0


def test_the_kwargs_are_json_serializable():
    import json

    kw = sampling_params_kwargs(do_sample=True, max_new_tokens=3, eos_ids=[1], seed=4)
    assert json.loads(json.dumps(kw)) == kw


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(max_new_tokens=0), "max_new_tokens=0"),
        (dict(eos_ids=[]), "eos_ids is empty"),
        (dict(temperature=0.0), "temperature=0.0"),
        (dict(temperature=2.5), r"temperature=2.5 must be in \(0, 2.0\]"),
        (dict(top_p=0.0), "top_p=0.0"),
        (dict(top_p=1.5), "top_p=1.5"),
    ],
)
def test_bad_settings_are_named(bad, match):
    kw = dict(do_sample=True, max_new_tokens=4, eos_ids=[1], temperature=1.0, top_p=1.0)
    with pytest.raises(ValueError, match=match):
        sampling_params_kwargs(**{**kw, **bad})


def test_generation_configs_with_logits_processors_are_refused_by_name():
    check_plain_generation(GenerationConfig(), _NEUTRAL_GENERATION)  # plain: accepted
    with pytest.raises(ValueError, match="repetition_penalty"):
        check_plain_generation(GenerationConfig(repetition_penalty=1.3), _NEUTRAL_GENERATION)
