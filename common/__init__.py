"""Shared layer of the multi-reward framework: rewards, data, rollout, engine, mixing, tracking.

Nothing in here knows about DRBO or LASeR; both methods build on it.
"""
