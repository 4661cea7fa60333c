"""slurm/torchrun.py: torchrun whose planned stop (every rank exits 128 + a stop signal after
its checkpoint) is one line and that exit code, while a real failure keeps torchrun's report."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TORCHRUN = REPO / "slurm" / "torchrun.py"


def _module():
    spec = importlib.util.spec_from_file_location("slurm_torchrun", TORCHRUN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([143], 143),  # SIGTERM or a STOP file
        ([138], 138),  # SIGUSR1
        ([140, -15], 140),  # SIGUSR2; torchrun then ended the other rank with SIGTERM
        ([3], None),  # a crash
        ([143, 1], None),  # one rank stopped, another crashed: a failure
        ([-15], None),  # only ended by a signal: nothing was checkpointed by plan
        ([-9, 143], None),
    ],
)
def test_planned_stop_is_every_failed_rank_exiting_with_a_stop_code(codes, expected):
    assert _module().planned_stop(codes) == expected


def _torchrun(tmp_path, exit_code):
    script = tmp_path / "worker.py"
    script.write_text(f"import sys\nsys.exit({exit_code})\n")
    return subprocess.run(
        [sys.executable, str(TORCHRUN), "--standalone", "--nproc_per_node=1", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_planned_stop_reads_as_one_line_and_keeps_its_exit_code(tmp_path):
    r = _torchrun(tmp_path, 143)
    out = r.stdout + r.stderr
    assert r.returncode == 143, out
    assert f"torchrun: planned stop: {tmp_path}/worker.py exited 143 (SIGTERM) after" in out
    assert "Traceback" not in out and "ChildFailedError" not in out
    assert "failed (exitcode" not in out


def test_a_crash_keeps_torchruns_report(tmp_path):
    r = _torchrun(tmp_path, 3)
    assert r.returncode == 1
    assert "ChildFailedError" in r.stderr and "exitcode  : 3" in r.stderr
    assert "planned stop" not in r.stderr
