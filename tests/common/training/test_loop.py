"""Pieces of the shared loop that need no model."""

from common.training.loop import progress_postfix


def test_progress_postfix_skips_missing_figures():
    # A LASeR step whose sampled responses all tie builds no pair: its loss is None.
    assert progress_postfix({"loss": None, "reward": 0.5, "kl": 0.01234, "lr": 1e-5}) == {
        "reward": "0.5",
        "kl": "0.0123",
    }
