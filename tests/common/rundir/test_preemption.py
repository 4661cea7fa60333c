"""Stop requests: a signal or a STOP file becomes a flag; hand-over exits like the signal."""

import os
import signal

import pytest

from common.rundir.preemption import Preempted, StopRequest, requeued, signal_number


def test_signal_names_resolve_and_unknown_names_are_refused():
    assert signal_number("SIGTERM") == signal.SIGTERM
    assert signal_number("USR1") == signal.SIGUSR1
    with pytest.raises(ValueError, match="SIGBOGUS"):
        signal_number("SIGBOGUS")


def test_a_signal_sets_the_flag_instead_of_killing_and_handlers_are_restored():
    before = signal.getsignal(signal.SIGUSR1)
    with StopRequest(["SIGUSR1"]) as stop:
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGUSR1)
        assert stop.requested and stop.signum == signal.SIGUSR1
        assert stop.agreed()  # one process: its own flag
    assert signal.getsignal(signal.SIGUSR1) is before


def test_stop_file_requests_a_stop_and_hand_over_removes_it(tmp_path):
    flag = tmp_path / "STOP"
    with StopRequest(["SIGUSR1"], stop_file=flag) as stop:
        assert not stop.requested
        flag.touch()
        assert stop.requested
        with pytest.raises(Preempted) as exc:
            stop.hand_over()
    assert exc.value.code == 128 + signal.SIGTERM
    assert not flag.exists()


def test_hand_over_exits_with_128_plus_signum_without_a_previous_handler():
    previous = signal.signal(signal.SIGUSR2, signal.SIG_DFL)
    try:
        with StopRequest(["SIGUSR2"]) as stop:
            os.kill(os.getpid(), signal.SIGUSR2)
            with pytest.raises(Preempted) as exc:
                stop.hand_over()
        assert exc.value.code == 128 + signal.SIGUSR2
        assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGUSR2, previous)


def test_hand_over_calls_the_handler_installed_before_eg_submitits_requeue():
    seen = []
    previous = signal.signal(signal.SIGUSR2, lambda signum, frame: seen.append(signum))
    try:
        with StopRequest(["SIGUSR2"]) as stop:
            os.kill(os.getpid(), signal.SIGUSR2)
            assert seen == []  # while training, ours handles it
            with pytest.raises(Preempted):
                stop.hand_over()
        assert seen == [signal.SIGUSR2]
    finally:
        signal.signal(signal.SIGUSR2, previous)


def test_requeued_reads_slurm_restart_count(monkeypatch):
    monkeypatch.delenv("SLURM_RESTART_COUNT", raising=False)
    assert not requeued()
    monkeypatch.setenv("SLURM_RESTART_COUNT", "0")
    assert not requeued()
    monkeypatch.setenv("SLURM_RESTART_COUNT", "2")
    assert requeued()


def test_ctrl_c_is_a_default_stop_signal_exiting_130_after_the_checkpoint(ctrl_c_delivered):
    from common.rundir.preemption import DEFAULT_SIGNALS

    assert "SIGINT" in DEFAULT_SIGNALS
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGINT)  # no KeyboardInterrupt mid-step
        assert stop.requested and stop.signum == signal.SIGINT
        with pytest.raises(Preempted) as exc:
            stop.hand_over()  # Python's own handler is not called (it would raise instead)
    assert exc.value.code == 130
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_aborts_at_once(ctrl_c_delivered):
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(KeyboardInterrupt, match="second Ctrl-C"):
            os.kill(os.getpid(), signal.SIGINT)
    assert stop.signum == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_ignored_sigint_stays_ignored_as_in_a_background_job():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with StopRequest() as stop:
            os.kill(os.getpid(), signal.SIGINT)
            assert not stop.requested
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
