"""The ``trainer`` config group's schema: every key a training loop reads, with its type,
its default and a one-line help, stated once here.

``conf/trainer/*.yaml`` are presets of this schema (each lists ``schema`` first in its
``defaults``; experiments.schema registers it in Hydra's ConfigStore), so Hydra refuses a
key no loop reads (``Key 'stepz' not in 'TrainerConfig'``, with ``full_key: trainer.stepz``)
and a value of the wrong type before any model loads. One schema serves every loop: an
experiment's trainer keys must still compose when the command line picks another trainer
(``+exp=debug trainer=laser_dpo``), and a loop reads only its own keys. Which keys belong to
which trainer is the preset's business (experiments.compose refuses ``+trainer.KEY`` that the
chosen preset does not set).

The keyword options of the REINFORCE family's table entries (``adv_eps``, ``clip_eps``,
``gamma`` ...) default to ``None``: the entry's own default applies
(:func:`common.training.options.keyword_options`), so those numbers live in
common/training/advantages.py and losses.py only.
"""

# ruff: noqa: UP006, UP035, UP045  (typing.List/Optional: the forms OmegaConf 2.3 types by)
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional  # OmegaConf reads these annotations at runtime

from common.core.schema_field import schema_field as _help


@dataclass
class MABRewardConfig:
    """The bandit's reward: the step's negative loss scaled by quantiles of its history
    (:class:`common.mixers.mab_reward.MABRewardScaler`)."""

    low_q: float = _help("lower history quantile (maps to 0)", 0.2)
    high_q: float = _help("upper history quantile (maps to 1)", 0.8)
    min_history: int = _help("steps of history before scaling starts", 3)


@dataclass
class DevStopConfig:
    """LASeR's early stop on the dev score (laser.trainer.LaserLoop)."""

    enabled: bool = _help("stop after an iteration whose dev score improved too little", False)
    metric: str = _help("a reward source scored on the eval split", "exact")
    min_improvement: float = _help("smallest improvement of the dev score that goes on", 0.0)


@dataclass
class TrainerConfig:
    # -- every loop (common.training.loop.TrainingLoop)
    name: str = _help("registered trainer (experiments.trainers) or module:Class")
    steps: int = _help("training steps (batches)", 30)
    batch_size: int = _help("prompts per step (G)", 4)
    n_samples: int = _help("responses sampled per prompt (n)", 1)
    temperature: float = _help("sampling temperature", 1.0)
    top_p: float = _help("nucleus sampling mass, in (0, 1]", 1.0)
    eval_before: bool = _help("evaluate the held-out split before training", True)
    eval_after: bool = _help("evaluate the held-out split after training", True)
    eval_batch_size: int = _help("prompts per evaluation batch", 16)
    save_every: int = _help("checkpoint period in steps (0 = only the last step)", 0)
    keep_checkpoints: int = _help("newest checkpoints kept", 2)
    export_final: bool = _help("write final_model/ (HF folder or LoRA adapter)", True)
    # -- the optimizer (common.training.policy)
    lr: float = _help("peak learning rate (cosine schedule)", 1.0e-5)
    weight_decay: float = _help("AdamW weight decay", 0.0)
    betas: List[float] = _help(
        "AdamW betas, two numbers in [0, 1)", default_factory=lambda: [0.9, 0.95]
    )
    warmup_steps: int = _help("linear warm-up steps", 0)
    # -- the REINFORCE family (drbo.trainer.PolicyGradientLoop); None: the table entry's default
    advantage: Optional[str] = _help(
        "advantage estimator (common/training/advantages.py); null = name", None
    )
    loss_type: Optional[str] = _help(
        "policy loss (common/training/losses.py); null = the estimator's", None
    )
    updates_per_rollout: int = _help("optimizer steps on one rollout (> 1: the clip acts)", 1)
    kl_coef: Optional[float] = _help("beta on the KL to the reference (0 skips its forward)", None)
    gamma: Optional[float] = _help("ReMax's discount on the per-token returns, in [0, 1]", None)
    adv_clip: Optional[float] = _help("ReMax's |R(sample) - R(greedy)| clip", None)
    scale_rewards: Optional[bool] = _help("GRPO: divide by the group's std (false: Dr. GRPO)", None)
    adv_eps: Optional[float] = _help("GRPO: added to the group std", None)
    clip_eps: Optional[float] = _help("ratio clip 1 - eps", None)
    clip_eps_high: Optional[float] = _help("ratio clip 1 + eps_high (null = clip_eps)", None)
    # -- DRBO Eq. 3 statistics (drbo.standardize.RewardStandardizer)
    standardize_k: int = _help("sampled rewards of the untrained policy per metric", 200)
    standardize_eps: float = _help("std below this counts as a flat metric", 1.0e-2)
    standardize_flat: str = _help("rule for flat metrics: one_success | eps", "one_success")
    standardize_clip: Optional[float] = _help("|scaled reward| bound in std; null = none", 10.0)
    standardize_batch_size: int = _help("prompts per batch while fitting the statistics", 16)
    # -- LASeR (laser.trainer.LaserLoop, laser.best_of_n.BestOfNLoop)
    steps_per_iteration: int = _help("steps before the reference becomes the policy", 4)
    pairs_per_prompt: int = _help("preference pairs per prompt from the RM's ranking", 1)
    pair_strategy: str = _help("best_worst | all (laser.pairs)", "best_worst")
    loss: str = _help("dpo_nll | dpo | nll | kto (laser.trainer.LOSSES)", "dpo_nll")
    beta: float = _help("DPO / KTO beta", 0.1)
    nll_alpha: float = _help("weight of the NLL term of dpo_nll", 1.0)
    context: str = _help("bandit context (common.mixers.context.CONTEXT_KINDS)", "mean_hidden")
    mab_reward: MABRewardConfig = _help(
        "the bandit's reward scaling", default_factory=MABRewardConfig
    )
    dev_stop: DevStopConfig = _help("early stop on the dev score", default_factory=DevStopConfig)
