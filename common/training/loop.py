"""The loop every method shares: data, policy, rewards, tracking, held-out evaluation before
and after, progress. A method subclasses :class:`TrainingLoop` and overrides ``train_step``
(and, if it keeps state, ``extra_state`` / ``load_extra_state``).
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig
from tqdm.auto import tqdm

from common.data.formatting import fit_prompts
from common.data.run_data import (
    check_batch_fits,
    load_run_data,
    max_new_tokens_for,
    prompt_token_limit,
)
from common.data.types import Example
from common.evaluation.predictions import generate_predictions
from common.evaluation.stats import eval_intervals
from common.generation.batch import Rollout
from common.generation.build_engine import build_rollout_engine
from common.generation.engines import RolloutEngine
from common.models.assets import load_causal_lm, write_base_record
from common.rewards.reward_set import RewardSet
from common.rundir.checkpoint import CheckpointManager
from common.rundir.distributed import all_gather_object, is_main, rank, world_size
from common.rundir.plots import plot_run
from common.rundir.preemption import DEFAULT_SIGNALS, STOP_FILE, StopRequest
from common.rundir.resume import plan_resume
from common.rundir.run_lock import RunDirWatch
from common.rundir.tracking import NullTracker, build_tracker, keep_rows_up_to
from common.training.checkpointing import Checkpointing
from common.training.eval_text import EvalText, text_fields
from common.training.stopping import StopPoints

log = logging.getLogger(__name__)


def progress_postfix(metrics: dict[str, Any]) -> dict[str, str]:
    """The progress bar's figures: loss, reward and KL when the step produced them (a LASeR
    step whose responses all tie has no preference pair and logs ``loss: None``)."""
    return {
        k: f"{v:.3g}"
        for k, v in metrics.items()
        if k in ("loss", "reward", "kl") and isinstance(v, (int, float))
    }


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class TrainingLoop(Checkpointing, StopPoints):
    """Shared machinery. Subclasses implement :meth:`train_step`.

    Attributes set up here: ``cfg``, ``run_dir``, ``train_examples``, ``eval_examples``,
    ``reward_set``, ``policy`` (the model generated from and trained), ``tokenizer``, ``tracker``.
    """

    # The label in summary.json, W&B and compare (``drbo`` for trainer=remax), set only here.
    method = "base"

    def __init__(self, cfg: DictConfig, run_dir: str | Path) -> None:
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        seed_everything(int(cfg.seed))  # here, so a loop built outside run.py is reproducible too
        self.reward_set = RewardSet(
            cfg.rewards.names,
            cfg.rewards.routing,
            cfg.rewards.get("options"),
            noise=cfg.rewards.get("noise"),
            max_resident=cfg.rewards.get("max_resident"),
        )
        # Before anything heavy loads: a resume that cannot be honoured fails in seconds.
        self.checkpoints = CheckpointManager(
            self.run_dir / "checkpoints",
            keep=int(cfg.trainer.keep_checkpoints),
            trust_unsigned=bool(cfg.get("trust_checkpoint", False)),
        )
        self._resume_from = plan_resume(cfg, self.run_dir)
        self.train_examples, self.eval_examples = load_run_data(
            cfg.dataset, self.reward_set.names, self.reward_set.routing
        )
        check_batch_fits(cfg.dataset, int(cfg.trainer.batch_size), self.train_examples)
        self.policy, self.tokenizer = load_causal_lm(
            cfg.model.name_or_path,
            dtype=cfg.model.dtype,
            seed=cfg.seed,
            trust_remote_code=cfg.model.get("trust_remote_code", False),
        )
        # Prompt plus generation must fit the model's positions (an over-long one would index
        # past the position table): prompts are cut from the left to this many tokens.
        positions = getattr(self.policy.config, "max_position_embeddings", None) or getattr(
            self.policy.config, "n_positions", None
        )
        self.max_prompt_tokens = prompt_token_limit(cfg.dataset, positions)
        self.prompts_truncated = 0  # since the last logged step
        self._rollout_engine: RolloutEngine | None = None  # built on first use
        self.start_step = 1
        self.last_step = 0
        self.eval_before: dict[str, float] | None = None
        # IFEval's verdicts and the answers' length and repetition (common.training.eval_text)
        self.eval_before_text: EvalText | None = None
        self.last_eval_text: EvalText | None = None
        # Rows behind the last evaluation (metric -> RewardOutput), for the intervals.
        self.last_eval_rows: dict[str, Any] = {}
        self.eval_before_rows: dict[str, Any] = {}
        self.eval_aggregations: dict[str, str] = {}
        # experiments.run sets its own (entered before the model loaded); else fit makes one.
        self.stop_request: StopRequest | None = None
        if self._resume_from is not None and is_main():
            keep_rows_up_to(self.run_dir / "metrics.jsonl", self._resume_step())
        resumed = self._resume_from is not None
        # Rank 0 writes the run's figures; the other ranks compute the same ones.
        self.tracker = NullTracker()
        if is_main():
            self.tracker = build_tracker(cfg, self.run_dir, resume=resumed, method=self.method)
        # The folder (made by the tracker at the latest) and lock as they are now: a run
        # directory deleted or replaced mid-run stops the run (check_run_dir).
        self.run_dir_watch = RunDirWatch(self.run_dir)

    # ---- data -------------------------------------------------------------------------
    def batch_for(self, step: int, pool: list[Example] | None = None) -> list[Example]:
        """``trainer.batch_size`` rows drawn without replacement from ``pool`` (default: all
        training rows) by an RNG seeded from (seed, step): a resumed run draws exactly the
        batches an uninterrupted one would, with no sampler state to save."""
        pool = self.train_examples if pool is None else pool
        bs = self.cfg.trainer.batch_size
        if len(pool) < bs:
            raise ValueError(
                f"trainer.batch_size={bs} exceeds the {len(pool)} training rows available"
            )
        # Each rank draws its own rows: data parallelism without a distributed sampler.
        rng = random.Random((int(self.cfg.seed) * 1_000_003 + step) * 1_009 + rank())
        return rng.sample(pool, bs)

    def next_batch(self, step: int) -> list[Example]:
        """The batch of step ``step``; methods that choose data (DRBO's sampled metric)
        override this."""
        return self.batch_for(step)

    def budget_of(self, example: Example) -> int:
        return max_new_tokens_for(self.cfg.dataset, example)

    @property
    def rollout_engine(self) -> RolloutEngine:
        """Who generates rollouts and evaluation responses (``rollout.engine``: the decode
        loop or a vLLM worker, common.generation.engines), built on first use so a loop that
        swaps ``self.policy`` in its constructor (EngineLoop) hands over the trained module."""
        if self._rollout_engine is None:
            self._rollout_engine = build_rollout_engine(
                self.cfg.get("rollout"),
                lambda: self.policy,
                self.tokenizer,
                seed=int(self.cfg.seed),
            )
        return self._rollout_engine

    def policy_updated(self) -> None:
        """The policy's weights changed (optimizer step, resume): an engine that holds a copy
        of them (vLLM) takes the new ones before it next generates."""
        if self._rollout_engine is not None:
            self._rollout_engine.policy_updated()

    def close_rollout_engine(self) -> None:
        if self._rollout_engine is not None:
            self._rollout_engine.close()
            self._rollout_engine = None

    def _engine_figures(self) -> dict[str, float]:
        """``rollout_sync_s``: seconds spent handing the weights to a vLLM engine since the
        last logged step (absent for the decode loop, which reads the live weights)."""
        synced = getattr(self._rollout_engine, "sync_seconds", None)
        if synced is None:
            return {}
        seconds = round(sum(synced), 4)
        synced.clear()
        return {"rollout_sync_s": seconds}

    def rollout_batch(self, batch: list[Example], do_sample: bool = True, n: int = 1) -> Rollout:
        """Generate for ``batch`` with the trainer's sampling settings: chat-templated prompts,
        the batch's largest budget, ``n`` adjacent responses per prompt (B = n * G rows)."""
        tr = self.cfg.trainer
        prompts, cut = fit_prompts(
            self.tokenizer, [ex.prompt for ex in batch], self.max_prompt_tokens
        )
        self.prompts_truncated += cut
        return self.rollout_engine.generate(
            prompts,
            max_new_tokens=max(self.budget_of(ex) for ex in batch),
            do_sample=do_sample,
            temperature=tr.temperature,
            top_p=tr.top_p,
            num_return_sequences=n,
            max_prompt_tokens=self.max_prompt_tokens,
        )

    def rollout_sampled_and_greedy(self, batch: list[Example]) -> tuple[Rollout, Rollout]:
        """ReMax's sampled and greedy continuations of ``batch`` from one prefill per prompt
        (common.generation.rollout.generate_sampled_and_greedy), with the trainer's sampling
        settings."""
        tr = self.cfg.trainer
        prompts, cut = fit_prompts(
            self.tokenizer, [ex.prompt for ex in batch], self.max_prompt_tokens
        )
        self.prompts_truncated += cut
        return self.rollout_engine.generate_sampled_and_greedy(
            prompts,
            max_new_tokens=max(self.budget_of(ex) for ex in batch),
            temperature=tr.temperature,
            top_p=tr.top_p,
            max_prompt_tokens=self.max_prompt_tokens,
        )

    # ---- evaluation -------------------------------------------------------------------
    def evaluate(self, desc: str) -> dict[str, float]:
        """Each metric's score of greedy responses on the eval split. Under several processes
        each rank generates for its shard and every rank scores the gathered predictions.
        No eval rows (``dataset.max_eval=0``): no scores."""
        if not self.eval_examples:
            return {}
        shard = self.eval_examples[rank() :: world_size()]
        texts = generate_predictions(
            self.policy,
            self.tokenizer,
            shard,
            self.budget_of,
            batch_size=self.cfg.trainer.eval_batch_size,
            max_prompt_tokens=self.max_prompt_tokens,
            desc=desc,
            progress=is_main(),
            should_stop=self._stop_requested_here,
            engine=self.rollout_engine,
        )
        gathered = all_gather_object(texts)
        if self._stop_agreed():  # cut short: its partial texts are not scored
            self._eval_cut = True
            return {}
        ordered = [""] * len(self.eval_examples)
        for r, part in enumerate(gathered):
            ordered[r :: len(gathered)] = part
        return self.score_eval(ordered)

    def score_eval(self, texts: list[str]) -> dict[str, float]:
        """Each metric's reported score of ``texts`` (one per eval example); the rows are
        kept in ``last_eval_rows`` for the run's confidence intervals."""
        table = self.reward_set.score(self.eval_examples, texts)
        scores = {}
        for name, rows in table.outputs.items():
            scorer = self.reward_set.scorer(name)  # once per name: max_resident may evict
            scores[name] = scorer.aggregate(rows)
            self.eval_aggregations[name] = scorer.aggregation
        self.last_eval_rows = dict(table.outputs)
        # IFEval-format rows (the testbed, IFEval, IFBench) also get IFEval's four official
        # accuracies; {} for any other data.
        self.last_eval_text = EvalText.of(self.eval_examples, texts)
        return scores

    # ---- the method ---------------------------------------------------------------------
    def train_step(self, step: int, batch: list[Example]) -> dict[str, Any]:
        """One optimizer step on ``batch``; returns the figures to log for it."""
        raise NotImplementedError

    def export_model(self, folder: Path) -> None:
        """Write the trained policy (or its LoRA adapter) and tokenizer as an HF folder that
        ``python -m experiments.evaluate --model <run dir>`` loads."""
        if is_main():
            self.policy.save_pretrained(folder)
            self.tokenizer.save_pretrained(folder)
            write_base_record(folder, self.cfg)

    def should_stop(self, step: int) -> bool:
        """Hook after each logged step: True ends training early (e.g. a dev-set criterion)."""
        return False

    def prepare(self) -> None:
        """Hook before the first step (after any resume): e.g. fit reward statistics."""

    # ---- the loop -----------------------------------------------------------------------
    def fit(self) -> dict[str, Any]:
        """Evaluate, train ``trainer.steps`` steps, evaluate; returns summary fields.

        Stop signals are caught for the whole call (from ``experiments.run``: from before the
        model loaded); see :mod:`common.rundir.preemption` for what a stop does in each phase."""
        if self.stop_request is not None and self.stop_request.active:
            return self._fit()
        self.stop_request = StopRequest(
            self.cfg.get("stop_signals") or DEFAULT_SIGNALS, self.run_dir / STOP_FILE
        )
        with self.stop_request:
            return self._fit()

    def _fit(self) -> dict[str, Any]:
        tr = self.cfg.trainer
        start = time.perf_counter()
        self.resume()
        if self._stop_agreed():  # asked while the model (or the checkpoint) loaded
            self._stop_now("start-up")
        self.check_run_dir("before the evaluation before training")
        if self.eval_before is None:
            self.eval_before = self.evaluate("eval before") if tr.eval_before else {}
            if self._stop_agreed():
                self._stop_now("eval before")
            self.eval_before_rows = self.last_eval_rows if self.eval_before else {}
            self.eval_before_text = self.last_eval_text if self.eval_before else None
        before = self.eval_before
        self.prepare()
        if self._stop_agreed():
            self._stop_now("preparation")
        self.prompts_truncated = 0  # counted per training step from here on
        save_every = int(tr.save_every)
        stop_request = self.stop_request
        with tqdm(
            range(self.start_step, tr.steps + 1),
            desc=self.method,
            initial=self.start_step - 1,
            total=tr.steps,
            disable=not is_main(),
        ) as bar:
            for step in bar:
                metrics = self.train_step(step, self.next_batch(step))
                # Before anything is written: a deleted folder must not be half recreated.
                self.check_run_dir(f"after step {step}")
                metrics = {
                    **metrics,
                    "prompt_truncated": self.prompts_truncated,
                    **self._engine_figures(),
                }
                self.prompts_truncated = 0
                self.last_step = step
                self.tracker.log(step, metrics)
                bar.set_postfix(progress_postfix(metrics))
                stop = self.should_stop(step)
                preempted = stop_request.agreed()
                if save_every and (step % save_every == 0 or step == tr.steps or stop):
                    self.save_checkpoint(step)
                elif preempted and self.checkpointable:
                    self.save_checkpoint(step)
                if preempted:
                    log.warning("stop requested: checkpoint of step %d written, exiting", step)
                    self.tracker.finish()
                    stop_request.hand_over()  # raises (or requeues through submitit)
                if stop:
                    log.info("stopping early after step %d", step)
                    break
        self.check_run_dir("after training")
        if tr.export_final:
            final = self.run_dir / "final_model"
            try:
                self.export_model(final)
            except OSError as err:
                raise OSError(
                    err.errno,
                    f"could not write the trained policy to {final}: {err.strerror or err}; "
                    f"metrics.jsonl and the checkpoints under {self.checkpoints.root} are kept",
                ) from err
        after = self.evaluate("eval after") if tr.eval_after else {}
        # A stop that cut the final evaluation short exits; one that came after the work
        # (or during an evaluation that does not stop early) lets the run finish.
        if self._stop_agreed() and self._eval_cut:
            self._stop_now("eval after")
        self.check_run_dir("after the evaluation after training")
        self.close_rollout_engine()  # a vLLM worker holds memory the plots need not share
        after_rows = self.last_eval_rows if after else {}
        if self.eval_before_rows and not self.eval_aggregations:  # resumed, no eval since
            self.eval_aggregations = {n: self.reward_set.scorer(n).aggregation for n in before}
        result = {
            "eval": {"before": before, "after": after},
            # n, 95 % bootstrap intervals and paired after-before differences
            # (common.evaluation.stats)
            "eval_ci": eval_intervals(self.eval_aggregations, self.eval_before_rows, after_rows),
            **text_fields(self.eval_before_text, self.last_eval_text if after else None),
            "steps": int(self.last_step),
            "wall_s": round(time.perf_counter() - start, 3),
        }
        self.tracker.summary({f"eval_after/{k}": v for k, v in after.items()})
        self.tracker.finish()
        if is_main():
            plot_run(self.run_dir)
        stop_request.dismiss()  # a stop asked for now: the run is done, it finishes
        return result
