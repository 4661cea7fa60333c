"""A configured set of N reward metrics scoring a batch of examples into a (B, N) table.

Routing decides which metric scores which example:
    ``by_example``  multi-type tasks (Shopping MMLU): example i is scored only by its own
                    ``Example.metric``; the other cells of its row are masked out.
    ``all``         single-task settings (ALCE): every metric scores every example.
    ``listed``      each example lists the metrics that apply to it in ``meta["metrics"]``
                    (an instruction-following prompt's constraint families); the others are
                    masked out.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from common.data.types import Example
from common.rewards.base import RewardOutput, Scorer
from common.rewards.registry import SCORERS, build_scorer

Routing = Literal["by_example", "all", "listed"]
ROUTINGS = ("by_example", "all", "listed")


class RewardScoringError(RuntimeError):
    """A reward source raised while building or scoring; the message names the source, its
    scorer and the batch size, and the original exception is chained as ``__cause__``."""


@dataclass
class ScoreTable:
    """Scores of a batch under every metric of a reward set.

    Attributes:
        names: the N metric names, column order.
        scores: (B, N) float, 0 where masked.
        mask: (B, N) bool, True where the metric applies to the example.
        parse_failed: (B, N) bool.
        outputs: per metric, the scorer's RewardOutput over the rows it scored.
    """

    names: list[str]
    scores: np.ndarray
    mask: np.ndarray
    parse_failed: np.ndarray
    outputs: dict[str, RewardOutput]

    def metric_means(self) -> dict[str, float]:
        """Mean raw score of each metric over the rows it applies to (NaN-free: metrics with
        no row in the batch are left out)."""
        out = {}
        for j, name in enumerate(self.names):
            if self.mask[:, j].any():
                out[name] = float(self.scores[self.mask[:, j], j].mean())
        return out

    def log_dict(self) -> dict[str, float]:
        d: dict[str, float] = {}
        for name, v in self.metric_means().items():
            d[f"reward/{name}"] = v
        for j, name in enumerate(self.names):
            d[f"parse_fail/{name}"] = int(self.parse_failed[:, j].sum())
        return d


class RewardSet:
    """N named scorers built once from config, used for training rewards and evaluation."""

    def __init__(
        self,
        names: Sequence[str],
        routing: Routing = "by_example",
        options: Mapping[str, Mapping[str, Any]] | None = None,
        noise: Mapping[str, Any] | None = None,
        max_resident: int | None = None,
    ) -> None:
        # Every rule on the ``rewards`` config group lives here; experiments/validate.py
        # builds a RewardSet (no model loads) to check a config.
        if not names:
            raise ValueError("rewards.names is empty; list at least one metric")
        if len(set(names)) != len(names):
            raise ValueError(f"rewards.names has duplicates: {list(names)}")
        if routing not in ROUTINGS:
            raise ValueError(f"rewards.routing={routing!r}; allowed values: {', '.join(ROUTINGS)}")
        options = dict(options or {})
        unknown = set(options) - set(names)
        if unknown:
            raise ValueError(
                f"rewards.options has keys {sorted(unknown)} that are not in rewards.names "
                f"{list(names)}"
            )
        self.names = list(names)
        self.routing = routing
        self._options = {n: dict(options.get(n) or {}) for n in names}
        # A source may be an alias: options {scorer: <registry name>, ...} lets one scorer
        # class serve as several sources (two judge prompts, two reward models).
        self._scorer_names = {n: self._options[n].pop("scorer", n) for n in names}
        unknown = [n for n in names if self._scorer_names[n] not in SCORERS]
        if unknown:  # fails fast, before any scorer is built, with the allowed values
            aliases = [
                f"rewards.options.{n}.scorer={self._scorer_names[n]!r}"
                for n in unknown
                if self._scorer_names[n] != n
            ]
            raise KeyError(
                f"rewards.names has unknown metric(s) {unknown}"
                + (f" (through {', '.join(aliases)})" if aliases else "")
                + " (set rewards.options.<name>.scorer for an alias); allowed values: "
                + ", ".join(SCORERS.names())
                + ", or a dotted path pkg.module:Name"
            )
        for n in names:  # a dotted path is imported now, so a typo in it fails here too
            _check_scorer_class(n, self._scorer_names[n])
        self.noise = dict(noise) if noise else None
        if self.noise is not None:
            if self.noise.get("name") not in self.names:
                raise ValueError(
                    f"rewards.noise.name={self.noise.get('name')!r}; allowed values: "
                    f"{', '.join(self.names)}"
                )
            if float(self.noise.get("sigma", 0.0)) < 0:
                raise ValueError(f"rewards.noise.sigma={self.noise['sigma']} must be >= 0")
        if max_resident is not None and max_resident < 1:
            raise ValueError(f"rewards.max_resident={max_resident} must be >= 1 (or null)")
        self.max_resident = max_resident
        self._scorers: dict[str, Scorer] = {}

    def scorer(self, name: str) -> Scorer:
        """The scorer for ``name``, built on first use (models load lazily). With
        ``max_resident`` set, the least recently used scorers are dropped so at most that
        many reward models stay in memory (a bandit needs one at a time)."""
        if name in self._scorers:
            self._scorers[name] = self._scorers.pop(name)  # most recently used goes last
            return self._scorers[name]
        if self.max_resident is not None:
            while len(self._scorers) >= self.max_resident:
                self._scorers.pop(next(iter(self._scorers)))
        self._scorers[name] = build_scorer(self._scorer_names[name], **self._options[name])
        return self._scorers[name]

    def resident(self) -> list[str]:
        """Names of the scorers currently loaded, least recently used first."""
        return list(self._scorers)

    def _add_noise(self, name: str, outputs: Sequence[str], scores: np.ndarray) -> np.ndarray:
        """Gaussian noise N(0, sigma^2) on one source's scores (robustness analyses). Drawn
        from a hash of the response text and the seed, so it is reproducible without state;
        the noisy scores may leave [0, 1]."""
        if self.noise is None or name != self.noise["name"]:
            return scores
        sigma, seed = float(self.noise.get("sigma", 0.0)), int(self.noise.get("seed", 0))
        draws = [
            np.random.default_rng([seed, zlib.crc32(str(o).encode("utf-8"))]).normal()
            for o in outputs
        ]
        return scores + sigma * np.asarray(draws)

    def mask_for(self, examples: Sequence[Example]) -> np.ndarray:
        """(B, N) bool: which metric applies to which example."""
        if self.routing == "all":
            return np.ones((len(examples), len(self.names)), dtype=bool)
        col = {n: j for j, n in enumerate(self.names)}
        mask = np.zeros((len(examples), len(self.names)), dtype=bool)
        for i, ex in enumerate(examples):
            for metric in self.applicable(ex):
                if metric in col:
                    mask[i, col[metric]] = True
        return mask

    def applicable(self, example: Example) -> list[str]:
        """The metric names that apply to ``example`` under this routing (any of them may
        be outside ``names``)."""
        if self.routing == "all":
            return list(self.names)
        if self.routing == "listed":
            return list(example.meta.get("metrics") or [])
        return [example.metric]

    def check_scorable(self, examples: Sequence[Example], dataset: str = "dataset") -> None:
        """Refuse a source that cannot read the gold of the rows routed to it.

        Such a source (``mc_accuracy`` on GSM8K, whose gold is a number string, not an option
        index) would score every row 0 and a bandit would pull it as a dead arm, with 0.0
        reported as if measured. Each source's scorer class says what gold it reads
        (:meth:`common.rewards.base.Scorer.gold_problem`); no scorer is built, no model loads.

        Raises:
            ValueError: naming ``rewards.names``' source, its scorer, how many of its rows it
                cannot read, the first one (with its file and line) and why.
        """
        mask = self.mask_for(examples)
        for j, name in enumerate(self.names):
            cls = SCORERS.get(self._scorer_names[name])
            rows = np.flatnonzero(mask[:, j])
            bad = [
                (int(i), problem)
                for i in rows
                if (problem := cls.gold_problem(examples[i].gold, self._options[name]))
            ]
            if bad:
                i, problem = bad[0]
                scorer = self._scorer_names[name]
                via = f" (scorer {scorer})" if scorer != name else ""
                raise ValueError(
                    f"rewards.names: {name}{via} cannot score {len(bad)} of the {rows.size} rows "
                    f"of dataset {dataset} routed to it (rewards.routing={self.routing}); row "
                    f"{i}{_source_of(examples[i])}, metric {examples[i].metric}: {problem}. "
                    "It would score them 0 as if measured; use a reward that reads this "
                    "data's gold"
                )

    def score(
        self,
        examples: Sequence[Example],
        outputs: Sequence[str],
        only: Sequence[str] | None = None,
        step: int | None = None,
        allow: np.ndarray | None = None,
    ) -> ScoreTable:
        """Score B outputs of B examples; every scorer sees only its rows, in one batch.

        ``only`` restricts scoring to some sources (a bandit's chosen reward model): the other
        columns stay masked, and their models are never run. ``allow`` ((B, N) bool) restricts
        it per row (per-query mixing: each row is scored by its own prompt's chosen source).
        ``step`` (the training step, if any) only labels the errors of :meth:`_score_source`.
        """
        if len(examples) != len(outputs):
            raise ValueError(f"{len(examples)} examples but {len(outputs)} outputs")
        mask = self.mask_for(examples)
        if only is not None:
            unknown = sorted(set(only) - set(self.names))
            if unknown:
                raise KeyError(f"unknown reward sources {unknown}; have {self.names}")
            mask[:, [j for j, n in enumerate(self.names) if n not in set(only)]] = False
        if allow is not None:
            if np.shape(allow) != mask.shape:
                raise ValueError(f"allow has shape {np.shape(allow)}, expected {mask.shape}")
            mask &= np.asarray(allow, dtype=bool)
        B, N = mask.shape
        scores = np.zeros((B, N))
        failed = np.zeros((B, N), dtype=bool)
        per_metric: dict[str, RewardOutput] = {}
        for j, name in enumerate(self.names):
            rows = np.flatnonzero(mask[:, j])
            if rows.size == 0:
                continue
            out = self._score_source(name, examples, outputs, rows, step)
            scores[rows, j] = self._add_noise(name, [outputs[i] for i in rows], out.scores)
            failed[rows, j] = out.parse_failed
            per_metric[name] = out
        return ScoreTable(self.names, scores, mask, failed, per_metric)

    def _describe(self, name: str, step: int | None) -> str:
        where = f"step {step}: " if step is not None else ""
        return f"{where}reward {name!r} (scorer {self._scorer_names[name]!r})"

    def _score_source(
        self,
        name: str,
        examples: Sequence[Example],
        outputs: Sequence[str],
        rows: np.ndarray,
        step: int | None = None,
    ) -> RewardOutput:
        """Source ``name``'s scores of the examples at ``rows`` (indices into the batch).

        Raises:
            RewardScoringError: the scorer (or its lazy build) raised; a bare exception from
                deep inside a model would not say which of N sources failed.
            FloatingPointError: a score is NaN or infinite. It would flow into the mixed
                reward and the loss, so the step stops here, where the culprit is known.
        """
        try:
            scorer = self.scorer(name)
        except Exception as err:
            raise RewardScoringError(
                f"{self._describe(name, step)} could not be built: {type(err).__name__}: {err}"
            ) from err
        try:
            out = scorer(
                [examples[i].prompt for i in rows],
                [outputs[i] for i in rows],
                [examples[i].gold for i in rows],
            )
        except Exception as err:
            raise RewardScoringError(
                f"{self._describe(name, step)} failed on a batch of {rows.size} outputs: "
                f"{type(err).__name__}: {err}"
            ) from err
        bad = np.flatnonzero(~np.isfinite(out.scores))
        if bad.size:
            i = int(rows[bad[0]])
            where = _source_of(examples[i])
            raise FloatingPointError(
                f"{self._describe(name, step)} returned {out.scores[bad[0]]} for example {i} of the "
                f"batch{where} ({bad.size} non-finite of {rows.size}); stopping before it "
                "reaches the reward and the loss"
            )
        return out

    def aggregate(self, table: ScoreTable) -> dict[str, float]:
        """Each metric's task-level score (mean, or micro-F1 over summed counts)."""
        return {n: self.scorer(n).aggregate(o) for n, o in table.outputs.items()}


def _check_scorer_class(source: str, scorer: str) -> None:
    """Raise a KeyError naming the config key when ``scorer`` (source ``source``'s registry
    name or dotted path) cannot be imported or is not a :class:`Scorer` subclass."""
    key = "rewards.names" if scorer == source else f"rewards.options.{source}.scorer"
    try:
        cls = SCORERS.get(scorer)
    except KeyError as err:
        raise KeyError(f"{key}: {err.args[0]}") from None
    if not (isinstance(cls, type) and issubclass(cls, Scorer)):
        raise KeyError(
            f"{key}: {scorer!r} is {cls!r}, not a subclass of common.rewards.base.Scorer"
        )


def _source_of(example: Example) -> str:
    """`` (file:line)`` of an example when its loader recorded them, else ""."""
    source, line = example.meta.get("source"), example.meta.get("line")
    return f" ({source}:{line})" if source is not None and line is not None else ""
