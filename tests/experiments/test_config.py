"""The Hydra tree composes, experiments hold only what differs, and bad values fail early."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf, open_dict

from experiments.compose import compose_config
from experiments.validate import ConfigError, validate_config

CONF = Path(__file__).resolve().parents[2] / "conf"
EXPERIMENTS = sorted(p.stem for p in (CONF / "exp").glob("*.yaml"))


def _compose(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=False)


def test_defaults_compose_with_every_group():
    cfg = _compose()
    for group in (
        "model",
        "dataset",
        "rewards",
        "balancer",
        "trainer",
        "engine",
        "logger",
        "paths",
    ):
        assert group in cfg, group
    assert cfg.logger.mode == "offline"


@pytest.mark.parametrize("exp", EXPERIMENTS)
def test_every_experiment_composes_and_validates(exp):
    cfg = _compose(f"+exp={exp}")
    assert cfg.exp_name == exp
    with open_dict(cfg):
        cfg.paths.output_dir = "/tmp"
    validate_config(cfg)


def test_exp_is_not_in_the_defaults_list():
    text = (CONF / "config.yaml").read_text()
    assert "exp:" not in text.split("defaults:")[1].split("\n\n")[0]


def test_misspelled_group_option_lists_valid_choices():
    with pytest.raises(ConfigCompositionException) as err:
        _compose("balancer=invrse")
    assert "inverse" in str(err.value.__cause__ or err.value)


def _valid():
    cfg = _compose("+exp=shopping_mmlu")
    OmegaConf.set_struct(cfg, False)
    return cfg


def test_negative_learning_rate_names_the_key():
    cfg = _valid()
    cfg.trainer.lr = -1e-5
    with pytest.raises(ConfigError, match=r"trainer\.lr"):
        validate_config(cfg)


def test_weights_must_match_the_rewards():
    cfg = _valid()
    cfg.balancer.weights = {"ner_f1": 3.0, "bogus": 1.0}
    with pytest.raises(ConfigError, match=r"balancer\.weights.*extra keys: \['bogus'\].*missing"):
        validate_config(cfg)


def test_unknown_metric_lists_allowed_values():
    cfg = _valid()
    cfg.rewards.names = ["ner_f1", "rouge_1"]
    with pytest.raises(ConfigError, match=r"rewards\.names.*rouge_1.*allowed values:.*rouge_l"):
        validate_config(cfg)


def test_missing_data_path_names_the_key():
    cfg = _valid()
    cfg.dataset.path = "/nonexistent/file.jsonl"
    with pytest.raises(ConfigError, match=r"dataset\.path"):
        validate_config(cfg)


def test_engine_stage_must_be_zero_to_three():
    cfg = _valid()
    cfg.engine.stage = 4
    with pytest.raises(ConfigError, match=r"engine\.stage=4; allowed values: 0, 1, 2, 3"):
        validate_config(cfg)


def test_engine_zero_keys_must_be_deepspeed_keys():
    cfg = _valid()
    cfg.engine.zero = {"stage3_max_live_parameters": 10**8}
    validate_config(cfg)  # a real key passes
    cfg.engine.zero = {"stage3_max_live_params": 10**8}  # a typo DeepSpeed would reject late
    with pytest.raises(
        ConfigError, match=r"engine\.zero\.stage3_max_live_params: .*stage3_max_live_parameters"
    ):
        validate_config(cfg)


def test_every_must_be_positive():
    cfg = _valid()
    cfg.balancer.every = 0
    with pytest.raises(ConfigError, match=r"balancer\.every"):
        validate_config(cfg)


def test_balancer_granularity_names_the_allowed_values():
    cfg = _valid()
    cfg.balancer.granularity = "row"
    with pytest.raises(ConfigError, match=r"balancer\.granularity='row'.*batch, query"):
        validate_config(cfg)


@pytest.mark.parametrize("value", [0, -0.5])
def test_sampling_temperature_must_be_positive(value):
    cfg = _valid()
    cfg.trainer.temperature = value
    # a float key (common.training.config): 0 reads back as 0.0
    with pytest.raises(ConfigError, match=rf"^trainer\.temperature={float(value)} must be > 0$"):
        validate_config(cfg)


def test_balancer_temperature_must_be_positive_or_null():
    cfg = _compose("+exp=shopping_mmlu", "balancer=delta")
    OmegaConf.set_struct(cfg, False)
    assert cfg.balancer.name == "delta" and cfg.balancer.temperature is None
    validate_config(cfg)  # null = the step-dependent default
    cfg.balancer.temperature = 0.0
    with pytest.raises(ConfigError, match=r"^balancer\.temperature must be > 0 or None, got 0\.0$"):
        validate_config(cfg)


@pytest.mark.parametrize("every", [0, -3])
def test_balancer_every_names_the_key_and_the_bound(every):
    cfg = _valid()
    cfg.balancer.every = every
    with pytest.raises(
        ConfigError, match=rf"^balancer\.every must be a positive integer, got {every}$"
    ):
        validate_config(cfg)


def test_standardize_k_smaller_than_the_batch_names_both_keys():
    cfg = _valid()
    cfg.trainer.batch_size = 4
    cfg.trainer.standardize_k = 3
    with pytest.raises(
        ConfigError, match=r"^trainer\.standardize_k=3 is smaller than trainer\.batch_size=4"
    ):
        validate_config(cfg)
    cfg.trainer.standardize_k = 4
    validate_config(cfg)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("standardize_eps", 0.0, r"^trainer\.standardize_eps=0\.0 must be > 0$"),
        ("standardize_clip", -1.0, r"^trainer\.standardize_clip=-1\.0 must be > 0$"),
        (
            "standardize_flat",
            "floor",
            r"^trainer\.standardize_flat='floor'; allowed values: one_success, eps$",
        ),
    ],
)
def test_standardize_rule_keys_name_the_key_and_the_allowed_values(key, value, message):
    cfg = _valid()
    assert cfg.trainer.standardize_flat == "one_success" and cfg.trainer.standardize_clip == 10
    cfg.trainer[key] = value
    with pytest.raises(ConfigError, match=message):
        validate_config(cfg)
    # valid values of each key (clip null = no clip; flat eps = the rule before issue 19)
    cfg.trainer[key] = {"standardize_eps": 0.05, "standardize_clip": None}.get(key, "eps")
    validate_config(cfg)


def test_missing_eval_path_names_the_key():
    cfg = _valid()
    cfg.dataset.eval_path = "/nonexistent/eval.jsonl"
    with pytest.raises(ConfigError, match=r"dataset\.eval_path='/nonexistent/eval\.jsonl'"):
        validate_config(cfg)


def test_a_bad_config_fails_before_any_model_loads(tmp_path, monkeypatch):
    """run() validates first: with model loading booby-trapped, a bad value still surfaces
    as the ConfigError naming its key, and nothing is written to the run directory."""
    import common.training.loop
    from experiments.run import run

    def no_model(*args, **kwargs):
        raise AssertionError("a model was loaded before the config was validated")

    monkeypatch.setattr(common.training.loop, "load_causal_lm", no_model)
    cfg = _valid()
    cfg.paths.output_dir = str(tmp_path)
    cfg.trainer.temperature = 0
    with pytest.raises(ConfigError, match=r"trainer\.temperature=0"):
        run(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_model_precision_lists_allowed_values():
    cfg = _compose("model.precision=half")
    with pytest.raises(
        ConfigError, match=r"model\.precision='half'; allowed values: auto, fp32, bf16"
    ):
        validate_config(cfg)
    for ok in ("auto", "fp32", "bf16"):
        cfg = _compose(f"model.precision={ok}")
        validate_config(cfg)
        assert cfg.engine.precision == ok  # the engine follows the model's precision


@pytest.mark.parametrize(
    "overrides, match",
    [
        (("balancer.normalize=zscore",), r"balancer\.normalize='zscore'.*gdpo"),
        (("balancer.normalize=gdpo",), r"balancer\.normalize=gdpo.*trainer=remax"),
        (
            ("balancer.statistic=zscore",),
            r"balancer\.statistic='zscore'; allowed values: scaled, raw",
        ),
        (("balancer=exp3", "balancer.statistic=raw"), r"balancer\.statistic=raw: balancer"),
        (("trainer=grpo", "trainer.n_samples=1"), r"trainer\.n_samples=1"),
        (("trainer=rloo", "trainer.loss_type=bnpo"), r"trainer\.loss_type='bnpo'"),
        (("trainer=grpo", "trainer.clip_eps=0"), r"trainer\.clip_eps=0"),
        (
            ("+balancer.conditions.nope.gate=x", "+balancer.conditions.nope.threshold=1"),
            r"balancer\.conditions\.nope",
        ),
    ],
)
def test_group_options_are_validated(overrides, match):
    cfg = compose_config("+exp=debug", *overrides)
    with pytest.raises(ConfigError, match=match):
        validate_config(cfg)


def test_raw_statistic_validates_and_reaches_the_reward_step():
    from common.mixers.step import build_reward_step
    from common.rewards.reward_set import RewardSet

    cfg = compose_config("+exp=debug", "balancer=inverse", "balancer.statistic=raw")
    validate_config(cfg)
    assert compose_config("+exp=debug", "balancer=delta").balancer.statistic == "scaled"
    rewards = RewardSet(list(cfg.rewards.names), cfg.rewards.routing, cfg.rewards.get("options"))
    assert build_reward_step(cfg, rewards, lambda: None, None).statistic == "raw"


def test_grpo_gdpo_and_a_condition_validate():
    names = compose_config("+exp=debug").rewards.names
    cfg = compose_config(
        "+exp=debug",
        "trainer=grpo",
        "balancer.normalize=gdpo",
        f"+balancer.conditions.{names[0]}.gate={names[1]}",
        f"+balancer.conditions.{names[0]}.threshold=0.5",
    )
    validate_config(cfg)


# ---- rules that live in the reward set, the mixers and the reward step -------------------
# validate_config builds those objects (no model loads), so a rule there is checked before
# the run starts, and its message names the config key.


@pytest.mark.parametrize(
    "names, match",
    [
        ([], r"^rewards\.names is empty; list at least one metric$"),
        (["ner_f1", "ner_f1"], r"^rewards\.names has duplicates: \['ner_f1', 'ner_f1'\]$"),
        (["ner_f1", "rouge_1"], r"unknown metric\(s\) \['rouge_1'\].*allowed values:.*rouge_l"),
    ],
)
def test_reward_names_rules_come_from_the_reward_set(names, match):
    from common.rewards.reward_set import RewardSet

    cfg = _valid()
    cfg.rewards.names = names
    cfg.balancer.weights = None
    with pytest.raises(ConfigError, match=match):
        validate_config(cfg)
    with pytest.raises((KeyError, ValueError), match=match.strip("^$")):
        RewardSet(names)  # the same rule, at its one home


def test_reward_routing_and_noise_are_checked_before_the_run():
    cfg = _valid()
    cfg.rewards.routing = "some"
    with pytest.raises(ConfigError, match=r"rewards\.routing='some'; allowed values: by_example"):
        validate_config(cfg)
    cfg = _valid()
    cfg.rewards.noise = {"name": "bleu", "sigma": 0.1}
    with pytest.raises(ConfigError, match=r"rewards\.noise\.name='bleu'; allowed values: ner_f1"):
        validate_config(cfg)


def test_unknown_balancer_name_lists_the_mixers():
    cfg = _valid()
    cfg.balancer.name = "inverted"
    with pytest.raises(
        ConfigError, match=r"^balancer\.name: .*'inverted'.*allowed values:.*inverse"
    ):
        validate_config(cfg)


def test_an_option_the_balancer_does_not_take_is_named():
    cfg = _valid()
    cfg.balancer.ucb_k = 2.0
    with pytest.raises(ConfigError, match=r"^balancer\.ucb_k is not an option of balancer") as err:
        validate_config(cfg)
    assert "did you mean 'ucb_c'?" in str(err.value)


def test_single_metric_must_be_a_reward():
    cfg = compose_config("+exp=debug", "balancer=single")
    validate_config(cfg)
    cfg.balancer.metric = "bleu"
    with pytest.raises(ConfigError, match=r"^balancer\.metric 'bleu' is not one of the reward"):
        validate_config(cfg)


def test_query_granularity_with_a_learning_balancer_is_refused_before_the_run():
    # the reward step's rule: a balancer that learns from per-source means cannot decide per
    # prompt; before, validate_config let it through and the run failed after loading
    cfg = _valid()
    cfg.balancer.granularity = "query"
    with pytest.raises(ConfigError, match=r"^balancer\.granularity=query: balancer .* learns"):
        validate_config(cfg)


def test_mab_reward_quantiles_name_the_key():
    cfg = compose_config("+exp=debug", "trainer=laser_dpo", "balancer=linucb")
    validate_config(cfg)
    cfg.trainer.mab_reward.low_q = 0.9
    with pytest.raises(ConfigError, match=r"^trainer\.mab_reward: need 0 <= low_q < high_q"):
        validate_config(cfg)
