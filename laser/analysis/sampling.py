"""Sampling response pairs from a run's exported policy (``--pairs``): the one part of the
analyses that loads a model and generates text."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from common.rundir.runs import load_run_config
from laser.analysis.agreement import collect_pair_scores

log = logging.getLogger("laser.analysis")


def sample_pair_scores(run_dir: str | Path, n_prompts: int) -> tuple[list[str], np.ndarray]:
    """Sample two responses for each of the first ``n_prompts`` eval prompts with the run's
    trained policy and score both with every reward source.

    Sampling uses the run's ``trainer.temperature`` / ``top_p`` (1.0 when unset), the
    run's per-task generation budgets and ``torch.manual_seed(seed)``.

    Returns:
        (source names (K,), scores (K, M, 2)), M = min(n_prompts, eval prompts).
    """
    import torch

    from common.data.formatting import format_prompt
    from common.data.run_data import load_run_data, max_new_tokens_for
    from common.generation.rollout import generate
    from common.training.checkpoint_policy import load_policy

    run_dir = Path(run_dir)
    cfg = load_run_config(run_dir)
    if cfg is None:
        raise FileNotFoundError(f"{run_dir}/.hydra/config.yaml not found: needed for --pairs")
    if not (run_dir / "final_model").is_dir():
        raise FileNotFoundError(
            f"{run_dir}/final_model not found: --pairs samples from the run's exported policy "
            "(trainer.export_final=true)"
        )
    names = list(cfg.rewards.names)
    _, evals = load_run_data(cfg.dataset, names, cfg.rewards.routing)
    if len(evals) < n_prompts:
        log.warning("%s: %d eval prompts, fewer than --pairs %d", run_dir, len(evals), n_prompts)
    examples = evals[:n_prompts]
    model, tok = load_policy(str(run_dir))
    if torch.cuda.is_available():
        model = model.cuda()
    torch.manual_seed(int(cfg.get("seed", 0)))
    tr = cfg.get("trainer") or {}
    batch = int(tr.get("eval_batch_size", 8))
    first, second = [], []
    for s in range(0, len(examples), batch):
        chunk = examples[s : s + batch]
        r = generate(
            model,
            tok,
            [format_prompt(tok, ex.prompt) for ex in chunk],
            max_new_tokens=max(max_new_tokens_for(cfg.dataset, ex) for ex in chunk),
            do_sample=True,
            temperature=float(tr.get("temperature", 1.0)),
            top_p=float(tr.get("top_p", 1.0)),
            num_return_sequences=2,  # rows p0r0, p0r1, p1r0, ...
            max_prompt_tokens=cfg.dataset.get("max_prompt_tokens"),
        )
        first += r.texts[0::2]
        second += r.texts[1::2]
    return names, collect_pair_scores(cfg, examples, first, second)
