"""Config checks that run before any model loads, so a bad value costs seconds, not a queue slot.

Every error names the config key and, where there is a closed set, the allowed values. The
rules on ``rewards.*`` and ``balancer.*`` are not repeated here: :func:`check_rewards_and_mixer`
builds the reward set, the mixer and the reward step (cheap objects, no model) and reports
what their constructors refuse. What is checked here is what no such object owns: the
trainer's numbers, the data paths, the model's positions, the engine, the run directory.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from experiments.part_names import PartNameError, check_trainer_and_dataset
from experiments.rollout_memory import check_rollout_memory
from experiments.validate_numbers import (
    ConfigError,
    check_dataset_numbers,
    check_positive,
    check_trainer_numbers,
)

log = logging.getLogger(__name__)

# Methods whose loss is built from pairs (or a best-of-n choice) among each prompt's samples.
NEEDS_SEVERAL_SAMPLES = {"laser_dpo": "preference pairs", "best_of_n": "a best-of-n choice"}


def _looks_local(name: str) -> bool:
    """A path rather than a hub id (``org/name``): absolute, ``./``, ``~``, or deeper."""
    return (
        name.startswith(("/", ".", "~"))
        or name.count("/") > 1
        or name.endswith("/")
        or (os.sep != "/" and os.sep in name)
    )


def model_positions(name_or_path: str) -> int | None:
    """The model's position limit, read without loading it (None when it cannot be told:
    a hub id not in the cache, or the embedded policy before its first use)."""
    from experiments.rollout_memory import model_config

    config = model_config(name_or_path) or {}
    return config.get("max_position_embeddings") or config.get("n_positions")


def check_model(cfg: DictConfig) -> None:
    """``model.name_or_path`` exists when it is a path; prompt plus generation fit the
    model's positions (``dataset.max_prompt_tokens`` is lowered, with a warning, if not)."""
    from common.data.run_data import prompt_token_limit
    from common.models.assets import EMBEDDED_POLICY_NAMES, TINY_GPT2

    name = str(cfg.model.name_or_path)
    known = name == TINY_GPT2 or name in EMBEDDED_POLICY_NAMES
    if not known and _looks_local(name) and not Path(name).expanduser().exists():
        raise ConfigError(
            f"model.name_or_path={name!r}: no such folder (a local path; a hub id has the "
            f"form org/name; embedded names: {', '.join([TINY_GPT2, *EMBEDDED_POLICY_NAMES])})"
        )
    offline = any(
        os.environ.get(v, "") not in ("", "0") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )
    if not known and not _looks_local(name) and not Path(name).exists() and offline:
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(name, "config.json"), str):
            raise ConfigError(
                f"model.name_or_path={name!r}: no such local folder, and the hub is offline "
                "(HF_HUB_OFFLINE) with no cached copy of it"
            )
    positions = model_positions(name)
    try:
        limit = prompt_token_limit(cfg.dataset, positions)
    except ValueError as err:
        raise ConfigError(f"{err} (model.name_or_path={name})") from None
    configured = cfg.dataset.get("max_prompt_tokens")
    if positions is not None and limit != configured:
        log.warning(
            "dataset.max_prompt_tokens=%s plus the largest dataset.max_new_tokens exceeds the "
            "%d positions of model %s: prompts are cut from the left to %d tokens",
            configured,
            positions,
            name,
            limit,
        )


def check_run_dir_writable(run_dir: str | Path) -> None:
    """Create a file in the run directory and remove it: a read-only directory fails here,
    named, instead of at the first metrics row or checkpoint after minutes of loading."""
    run_dir = Path(run_dir)
    probe = run_dir / f".write-probe-{os.getpid()}"
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ConfigError(
            f"run directory {run_dir} (hydra.run.dir) is not writable: {err.strerror or err}"
        ) from None


def deepspeed_zero_keys() -> set[str]:
    """The keys DeepSpeed accepts under ``zero_optimization`` (it forbids any other), less
    ``stage``, which ``engine.stage`` sets."""
    import torch

    if not torch.cuda.is_available():
        os.environ.setdefault("DS_ACCELERATOR", "cpu")  # as common.training.engine.init_distributed
    from deepspeed.runtime.zero.config import DeepSpeedZeroConfig

    fields = DeepSpeedZeroConfig.model_fields.items()
    return {f.alias or name for name, f in fields} - {"stage"}


def _no_context(prompts: list[str]):
    raise AssertionError("validation builds the reward step but never steps it")


def check_rewards_and_mixer(cfg: DictConfig) -> None:
    """Build the run's reward set, mixer and reward step the way the run does
    (:class:`common.rewards.reward_set.RewardSet`, :func:`common.mixers.build_run_mixer`,
    :class:`common.mixers.step.RewardStep`), without a model: their constructors hold the
    rules on ``rewards.*`` and ``balancer.*``, so each rule lives once. Their errors become
    ConfigErrors naming the key; a mixer's own message names its parameter (``every must be
    a positive integer``), which is ``balancer.<parameter>`` in the config."""
    from common.mixers import build_run_mixer
    from common.mixers.config import reward_step_options
    from common.mixers.mab_reward import MABRewardScaler
    from common.mixers.step import RewardStep
    from common.rewards.reward_set import RewardSet

    rw = cfg.rewards
    try:
        reward_set = RewardSet(
            list(rw.names),
            rw.get("routing", "by_example"),
            rw.get("options"),
            noise=rw.get("noise"),
            max_resident=rw.get("max_resident"),
        )
    except (KeyError, ValueError) as err:
        raise ConfigError(_text(err)) from None
    bal = cfg.get("balancer")
    if bal is None:
        return
    options = OmegaConf.to_container(bal, resolve=True)
    try:
        mixer = build_run_mixer(options, reward_set.names)
    except KeyError as err:
        raise ConfigError(f"balancer.name: {_text(err)}") from None
    except (TypeError, ValueError) as err:
        text = _text(err)
        key = text.split(" ", 1)[0]
        raise ConfigError(
            f"balancer.{text}" if key in options else f"balancer={bal.name}: {text}"
        ) from None
    try:
        mab = MABRewardScaler(**cfg.trainer.mab_reward)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"trainer.mab_reward: {_text(err)}") from None
    try:
        RewardStep(
            mixer,
            reward_set,
            **reward_step_options(bal),
            context=_no_context,
            mab=mab,
        )
    except ValueError as err:
        raise ConfigError(_text(err)) from None


def check_rewards_score_the_data(cfg: DictConfig) -> None:
    """Every reward source can read the gold of the rows routed to it, for every trainer
    (:meth:`common.rewards.reward_set.RewardSet.check_scorable`). The run's data is loaded as
    the run loads it (:func:`common.data.run_data.load_run_data`: rows and files, no model); its
    own errors (a metric with no rows, a malformed file) surface here as they would later."""
    from common.data.run_data import load_run_data
    from common.rewards.reward_set import RewardSet

    rw, ds = cfg.rewards, cfg.dataset
    routing = rw.get("routing", "by_example")
    train, evals = load_run_data(ds, list(rw.names), routing)
    reward_set = RewardSet(list(rw.names), routing, rw.get("options"))
    name = ds.path or f"bundled {ds.kind} sample"
    try:
        reward_set.check_scorable([*train, *evals], dataset=name)
    except ValueError as err:
        raise ConfigError(_text(err)) from None


def _text(err: Exception) -> str:
    """The message of ``err`` (a KeyError's str() adds quotes)."""
    return str(err.args[0]) if err.args else str(err)


def _check_group_trainers(cfg: DictConfig) -> None:
    """What GDPO and the GRPO family need of the trainer: n >= 2 samples a prompt, a known
    loss type, positive clip settings."""
    bal, tr = cfg.get("balancer"), cfg.trainer
    normalize = bal.normalize if bal is not None else "none"
    if normalize == "gdpo" and tr.n_samples < 2:
        raise ConfigError(
            f"balancer.normalize=gdpo standardizes each reward within the n samples of a "
            f"prompt; trainer={tr.name} has trainer.n_samples={tr.n_samples} "
            "(use trainer=grpo|rloo|laser_dpo with n_samples >= 2, or balancer.normalize=none)"
        )
    if _policy_gradient(tr):
        _check_policy_gradient(cfg)


def _policy_gradient(tr: DictConfig) -> bool:
    """A run of the REINFORCE-family loop (a preset, or a user's loop naming an estimator)."""
    return tr.name in ("remax", "grpo", "rloo") or tr.advantage is not None


def _check_policy_gradient(cfg: DictConfig) -> None:
    """The REINFORCE family's tables: a known advantage estimator and policy loss, the
    samples per prompt the estimator needs, positive clip settings."""
    # torch: only for runs that train with it
    from common.training.advantages import ADVANTAGES
    from common.training.losses import POLICY_LOSSES
    from common.training.options import takes
    from drbo.trainer import table_choices

    tr = cfg.trainer
    advantage, loss_type = table_choices(tr)
    try:
        estimator = ADVANTAGES.get(advantage)
        POLICY_LOSSES.get(loss_type)
    except KeyError as err:
        raise ConfigError(_text(err)) from None
    n = tr.n_samples
    if takes(estimator, "greedy") and n != 1:
        raise ConfigError(
            f"trainer.n_samples={n}: trainer.advantage={advantage} compares one sample with "
            "the greedy response, it needs n_samples=1"
        )
    if not takes(estimator, "greedy") and n < 2:
        raise ConfigError(
            f"trainer.n_samples={n}: trainer.advantage={advantage} compares the n samples of "
            "a prompt, it needs n_samples >= 2"
        )
    for key in ("updates_per_rollout", "clip_eps", "clip_eps_high"):
        check_positive(cfg, f"trainer.{key}")  # null: the loss's default


ROLLOUT_ENGINES = ("auto", "loop", "vllm")  # common.generation.engines.ENGINES


def check_rollout(cfg: DictConfig) -> None:
    """``rollout.engine`` is a known engine, and vLLM gets weights it can read whole."""
    rollout = cfg.get("rollout") or {}
    engine = rollout.get("engine", "loop")
    if engine not in ROLLOUT_ENGINES:
        raise ConfigError(
            f"rollout.engine={engine!r}; allowed values: {', '.join(ROLLOUT_ENGINES)}"
        )
    if engine == "vllm" and cfg.engine.get("stage") == 3:
        raise ConfigError(
            "rollout.engine=vllm with engine.stage=3: the vLLM worker is given the whole "
            "weights after each step and ZeRO-3 partitions them; use engine=zero0/1/2 or "
            "rollout.engine=loop"
        )
    temperature = cfg.trainer.temperature
    if engine == "vllm" and isinstance(temperature, (int, float)) and temperature > 2:
        raise ConfigError(
            f"trainer.temperature={temperature} with rollout.engine=vllm: vLLM samples at "
            "temperatures up to 2; lower it or use rollout.engine=loop"
        )
    kv = (rollout.get("vllm") or {}).get("kvcache_gib", 1)
    if not isinstance(kv, int) or isinstance(kv, bool) or kv < 1:
        raise ConfigError(f"rollout.vllm.kvcache_gib={kv!r} must be a whole number of GiB >= 1")


def validate_config(cfg: DictConfig) -> None:
    """Raise ConfigError on the first invalid value found."""
    seed = cfg.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ConfigError(f"seed={seed!r} must be an integer in [0, 2**32)")
    resume = cfg.get("resume", False)
    if resume not in (False, True, "must"):
        raise ConfigError(f"resume={resume!r}; allowed values: false, true, must")
    trust = cfg.get("trust_checkpoint", False)
    if not isinstance(trust, bool):
        raise ConfigError(f"trust_checkpoint={trust!r}; allowed values: false, true")

    check_rewards_and_mixer(cfg)  # after seed: mixers take ${seed}
    try:
        check_trainer_and_dataset(cfg)
    except PartNameError as err:
        raise ConfigError(str(err)) from None
    _check_group_trainers(cfg)

    tr = cfg.trainer
    check_trainer_numbers(cfg)  # one key at a time; the rules across keys follow
    need = NEEDS_SEVERAL_SAMPLES.get(tr.name)
    if need and tr.n_samples < 2:
        raise ConfigError(
            f"trainer.n_samples={tr.n_samples}: trainer {tr.name} builds {need} from each "
            "prompt's samples and needs at least 2"
        )
    k = tr.standardize_k
    if _policy_gradient(tr) and k < tr.batch_size:
        # K samples estimate each metric's mean/std; fewer than one batch is too few to trust
        raise ConfigError(
            f"trainer.standardize_k={k} is smaller than trainer.batch_size={tr.batch_size}; "
            f"it must be >= {tr.batch_size}"
        )

    ds = cfg.dataset
    check_dataset_numbers(cfg)
    if tr.dev_stop.enabled and ds.get("max_eval") == 0:
        raise ConfigError(
            "trainer.dev_stop.enabled=true needs eval rows to score, but dataset.max_eval=0"
        )
    check_rewards_score_the_data(cfg)
    check_model(cfg)

    from common.models.precision import PRECISIONS

    precision = OmegaConf.select(cfg, "model.precision", default="auto")
    if precision not in PRECISIONS:
        raise ConfigError(f"model.precision={precision!r}; allowed values: {', '.join(PRECISIONS)}")
    engine_precision = cfg.engine.get("precision", "auto")
    if engine_precision not in (*PRECISIONS, "fp16"):
        raise ConfigError(
            f"engine.precision={engine_precision!r}; allowed values: auto, fp32, bf16, fp16"
        )

    check_rollout_memory(cfg)  # after the precision check: it sizes the KV cache's dtype
    from common.models.precision import emulated_bf16_warning

    slow = emulated_bf16_warning(precision) or emulated_bf16_warning(
        engine_precision, "engine.precision"
    )
    if slow:
        log.warning(slow)

    if cfg.engine.stage not in (0, 1, 2, 3):
        raise ConfigError(f"engine.stage={cfg.engine.stage}; allowed values: 0, 1, 2, 3")

    zero = cfg.engine.get("zero") or {}
    allowed = deepspeed_zero_keys() if zero else set()
    for key in zero:
        if key not in allowed:
            raise ConfigError(
                f"engine.zero.{key}: not a DeepSpeed zero_optimization key; allowed values: "
                + ", ".join(sorted(allowed))
            )

    check_rollout(cfg)

    from common.rundir.preemption import signal_number

    for name in cfg.get("stop_signals") or []:
        try:
            signal_number(str(name))
        except ValueError as err:
            raise ConfigError(str(err)) from None
