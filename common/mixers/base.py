"""The mixer interface shared by DRBO's balancers and LASeR's bandits, and its registry.

Both answer one question each step: how much does each reward source (a metric, or a reward
model) count? A balancer returns a dense weight vector; a bandit returns a one-hot vector for
the arm it picked. Because they share this interface a balancer can weight reward models in
a LASeR run and a bandit can pick a metric in a DRBO run.

Life cycle per optimizer step ``t`` (1-based)::

    decision = mixer.decide(t, context)        # weights (N,), optional chosen arm
    ... score, train ...
    mixer.update(Feedback(step=t, arm=decision.arm, source_rewards=..., scalar=..., context=...))

State must be JSON-serializable (``state_dict``) so checkpoints can carry it.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.core.registry import Registry


@dataclass
class MixDecision:
    """What a mixer decided for one step.

    Attributes:
        weights: float array, shape (N,), non-negative, sums to 1.
        arm: index of the source sampled or chosen this step (DRBO's sampled metric in
            Algorithm 1 line 5, a bandit's arm); None for mixers that do not pick one.
    """

    weights: np.ndarray
    arm: int | None = None


@dataclass
class Feedback:
    """What a mixer learns from after a step.

    Attributes:
        step: the 1-based optimizer step this feedback belongs to.
        arm: the arm chosen at that step (copied from the decision).
        source_rewards: mean reward of each source on the batch, keyed by source name
            (standardized rewards for DRBO balancers).
        scalar: one learning signal for the step (a bandit's MAB reward in [0, 1]).
        context: the context vector used at decision time, shape (d,), for contextual bandits.
    """

    step: int
    arm: int | None = None
    source_rewards: dict[str, float] = field(default_factory=dict)
    scalar: float | None = None
    context: np.ndarray | None = None
    samples: SourceSamples | None = None


@dataclass
class SourceSamples:
    """Every rank's per-sample scaled rewards of one step, for mixers that learn from their
    spread (``learns_from_samples``: MO-GRPO's variances, correlations).

    Attributes:
        scores: (B, N) scaled rewards, 0 where not scored.
        mask: (B, N) bool, which source scored which row.
        groups: (B,) int, the prompt each row answers (its n samples share one id).
    """

    scores: np.ndarray
    mask: np.ndarray
    groups: np.ndarray


class RewardMixer(ABC):
    """Base class of every balancer and bandit. ``names`` are the reward sources, in order.

    Class attributes tell the reward step (:mod:`common.mixers.step`) what to compute for
    it: ``needs_context`` (a context vector at decision time, e.g. LinUCB),
    ``learns_from_scalar`` (``Feedback.scalar``, e.g. every bandit) and
    ``learns_from_sources`` (``Feedback.source_rewards`` of every source, e.g. DRBO's
    dynamic balancers: their running averages need every metric scored, not only the ones
    with weight > 0) and ``learns_from_samples`` (``Feedback.samples``: every rank's
    per-sample rewards; such a mixer also sets ``learns_from_sources``).
    """

    needs_context: bool = False
    learns_from_scalar: bool = False
    learns_from_sources: bool = False
    learns_from_samples: bool = False

    def __init__(self, names: Sequence[str]) -> None:
        if len(names) == 0:
            raise ValueError("a reward mixer needs at least one reward source")
        if len(set(names)) != len(names):
            raise ValueError(f"reward source names must be unique, got {list(names)}")
        self.names = list(names)

    @property
    def n(self) -> int:
        return len(self.names)

    @abstractmethod
    def decide(self, step: int, context: np.ndarray | None = None) -> MixDecision:
        """Weights for step ``step`` (1-based); ``context`` has shape (d,) where used."""

    def update(self, feedback: Feedback) -> None:  # noqa: B027 - static mixers learn nothing
        """Learn from a finished step. Static mixers ignore it."""

    def state_dict(self) -> dict[str, Any]:
        """JSON-serializable state (lists, floats, ints)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: B027
        """Restore what :meth:`state_dict` returned."""

    @staticmethod
    def one_hot(n: int, k: int) -> np.ndarray:
        w = np.zeros(n, dtype=np.float64)
        w[k] = 1.0
        return w


def _import_mixer_modules() -> None:
    """Import every module of this package, so each ``@MIXERS.register`` has run. Adding a
    mixer is one module here (plus its YAML in ``conf/balancer/`` and its test): nothing
    else lists it."""
    import common.mixers as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")


# balancer.name -> mixer class; a user's own mixer is named by its dotted path
# (balancer.name=my_pkg.mixers:MyMixer) and needs no file in this package.
MIXERS: Registry[type[RewardMixer]] = Registry(
    "balancer", "balancer.name", load_builtins=_import_mixer_modules
)


def build_mixer(name: str, names: Sequence[str], **kwargs: Any) -> RewardMixer:
    """Instantiate the mixer registered as ``name`` (or at the dotted path ``name``) over
    reward sources ``names``."""
    cls = MIXERS.get(name)
    if not (isinstance(cls, type) and issubclass(cls, RewardMixer)):
        raise KeyError(
            f"{MIXERS.config_key}: {name!r} is {cls!r}, not a subclass of "
            "common.mixers.base.RewardMixer"
        )
    _check_options(cls, name, kwargs)
    return cls(names, **kwargs)


def _check_options(cls: type, name: str, kwargs: Mapping[str, Any]) -> None:
    """A misspelled option (``+balancer.evry=3``) fails naming the mixer's options and the
    closest one: the constructor's signature is the mixer's schema (common/mixers/config.py)."""
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return  # a mixer that takes any option checks its own
    allowed = [p for p in params if p not in ("self", "names")]
    for key in kwargs:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise TypeError(
                f"{key} is not an option of balancer {name} ({cls.__name__}); {hint}"
                f"its options: {', '.join(allowed) or '(none)'}"
            )


def build_run_mixer(balancer_cfg: Mapping[str, Any], source_names: Sequence[str]) -> RewardMixer:
    """The ``balancer`` group's mixer over ``source_names`` (balancers and bandits alike):
    every key but the reward step's (:data:`common.mixers.config.STEP_KEYS`) is the mixer's."""
    from common.mixers.config import STEP_KEYS

    options = {k: v for k, v in dict(balancer_cfg).items() if k not in STEP_KEYS}
    return build_mixer(str(balancer_cfg["name"]), list(source_names), **options)


def mix_rewards(scores: np.ndarray, mask: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One reward per sample: the weighted mean of the rewards of the sources that apply.

        R_i = sum_j w_ij M_ij s_ij / sum_j w_ij M_ij      (0 where no weighted source applies)

    In single-task runs every source applies (M = 1) and R_i = sum_j w_j s_ij. In multi-type
    runs (``rewards.routing=by_example``) each sample has one metric, so R_i is that metric's
    reward whatever its weight: there the weights act through which rows are drawn (the rule
    of :func:`common.mixers.decision.rows_per_source`, DRBO Algorithm 1 line 5), and a zero
    weight gives its rows reward 0.

    Args:
        scores: (B, N) rewards (standardized for DRBO).
        mask: (B, N) bool, which sources apply to which sample.
        weights: (N,) non-negative, or (B, N) one weight vector per sample (per-query mixing).
    Returns:
        (B,) mixed rewards.
    """
    w = np.asarray(weights, dtype=np.float64)
    w = (w[None, :] if w.ndim == 1 else w) * np.asarray(mask, dtype=np.float64)
    num = (w * np.asarray(scores, dtype=np.float64)).sum(axis=1)
    den = w.sum(axis=1)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)
