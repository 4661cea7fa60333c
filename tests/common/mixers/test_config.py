"""The ``balancer`` group's schema (common/mixers/config.py): the reward step's keys typed with
their defaults stated once, the mixer's own options open and checked by its constructor."""

from dataclasses import fields

import pytest
from hydra.errors import ConfigCompositionException

from common.mixers.config import STEP_KEYS, BalancerConfig
from experiments.compose import compose_config
from experiments.validate import ConfigError, validate_config


def test_every_schema_key_has_a_help_line():
    for f in fields(BalancerConfig):
        assert f.metadata.get("help"), f.name
    assert STEP_KEYS == ("name", "granularity", "normalize", "conditions", "statistic")


@pytest.mark.parametrize("preset", ["exp3", "single", "inverse", "mo_grpo"])
def test_a_preset_gets_the_step_defaults_from_the_schema(preset):
    # no conf/balancer/*.yaml repeats these; the schema states them once
    bal = compose_config("+exp=debug", f"balancer={preset}").balancer
    assert (bal.granularity, bal.normalize, bal.statistic) == ("batch", "none", "scaled")
    assert dict(bal.conditions) == {}


def test_a_step_key_of_the_wrong_type_is_refused_while_composing():
    with pytest.raises(ConfigCompositionException) as err:
        compose_config("+exp=debug", "balancer.statistic=[1]")
    cause = str(err.value.__cause__)
    assert "full_key: balancer.statistic" in cause and "BalancerConfig" in cause


def test_a_misspelled_key_is_refused_with_the_mixers_options():
    with pytest.raises(ConfigCompositionException) as err:  # without +: not in the preset
        compose_config("+exp=debug", "balancer=inverse", "balancer.evry=3")
    assert "full_key: balancer.evry" in str(err.value.__cause__)
    with pytest.raises(ConfigError) as err:  # with +: the constructor's signature refuses it
        validate_config(compose_config("+exp=debug", "balancer=inverse", "+balancer.evry=3"))
    msg = str(err.value)
    assert msg.startswith("balancer.evry is not an option of balancer inverse")
    assert "did you mean 'every'?" in msg and "ucb_c" in msg


def test_a_preset_key_can_be_dropped_and_the_constructor_default_applies():
    # studies drop `every` (`~balancer.every`): the mixer's own default is then used
    cfg = compose_config("+exp=debug", "balancer=inverse", "~balancer.every")
    assert "every" not in cfg.balancer
    validate_config(cfg)
