"""Shared layer of the multi-reward framework, in rooms by phase: models, data, rewards,
generation, mixers, training, rundir, evaluation (docs/architecture.md, "Layout").

Nothing in here knows about DRBO or LASeR; both methods build on it.
"""
