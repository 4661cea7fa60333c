"""Fixtures of the run-directory tests."""

from __future__ import annotations

import signal

import pytest


@pytest.fixture
def ctrl_c_delivered():
    """SIGINT handled by Python's default handler, as in a terminal, for the Ctrl-C tests.

    A shell starts a background job (`cmd &`, `nohup`, a CI runner's detached step) with SIGINT
    ignored, and StopRequest deliberately leaves an ignored SIGINT ignored
    (test_an_ignored_sigint_stays_ignored_as_in_a_background_job); without this the Ctrl-C
    tests would depend on how pytest was launched.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
