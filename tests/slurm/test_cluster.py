"""Against a real SLURM (CI: `slurm/local_cluster.sh up`, one node): README's cluster commands,
run as written there, on `+exp=debug` with 6 steps.

- a 2-job sweep through `hydra/launcher=slurm` (a job array), then `experiments.compare`;
- `sbatch slurm/single_node.sbatch` to completion, in the `hydra.run.dir` it was given;
- `scancel --signal=USR1 --batch` mid-training: checkpoint, planned stop (one line, no
  torchrun traceback), requeue, resume: metrics.jsonl equal to the uninterrupted sbatch run's
  on every non-timing key;
- submitit's `scancel --signal=USR2` likewise, against the sweep's job with the same overrides.

All five jobs are submitted at once by one module fixture, so the node runs two at a time and
the requeue holds overlap other jobs; a thread per preempted job sends its signal once the job
logs its first step, and each test then waits for its own job. Waits are generous (the machine
may be shared and slow); every failure message names the job and its log.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
# Enough steps that a signal after the first one lands mid-training; no periodic checkpoint,
# so the only checkpoint is the one the stop writes.
STEPS = ("trainer.steps=6", "trainer.save_every=0")
WAIT_S = 900
TERMINAL = {
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "OUT_OF_MEMORY",
    "NODE_FAIL",
    "BOOT_FAIL",
    "DEADLINE",
}


# ---- README's commands ------------------------------------------------------------------
def readme_commands() -> list[list[str]]:
    """The commands of README's "Try it on one machine" block, continuation lines joined,
    comments dropped, split as the shell would."""
    text = README.read_text()
    start = text.index("**Try it on one machine**")
    block = re.search(r"```bash\n(.*?)```", text[start:], re.S)
    assert block, "README: no ```bash block after **Try it on one machine**"
    joined = block.group(1).replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.strip()]


def readme_command(*prefix: str) -> list[str]:
    found = [c for c in readme_commands() if tuple(c[: len(prefix)]) == prefix]
    assert len(found) == 1, f"README's cluster block has {len(found)} `{' '.join(prefix)}` commands"
    return found[0]


def replace_value(cmd: list[str], key: str, value: str) -> list[str]:
    """`key=...` in cmd set to value (README must have the key: it is what the test runs)."""
    assert any(t.startswith(f"{key}=") for t in cmd), f"README's `{shlex.join(cmd)}` lacks {key}="
    return [f"{key}={value}" if t.startswith(f"{key}=") else t for t in cmd]


def python(cmd: list[str]) -> list[str]:
    assert cmd[0] == "python"
    return [sys.executable, *cmd[1:]]


# ---- SLURM and run folders ---------------------------------------------------------------
def wait_for(
    check: Callable[[], object], what: str, timeout: float = WAIT_S, poll: float = 1.0
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"waited {timeout:.0f} s for {what}; {queue()}")


def queue() -> str:
    """The cluster's queue now, for a timeout's message: jobs ahead of ours on the node (a
    controller restarted over an old state, another user) are the usual reason for a wait."""
    try:
        r = subprocess.run(
            ["squeue", "-h", "-o", "%i %j %T %M %R %Z"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return "squeue did not answer in 30 s"
    if r.returncode != 0:
        return f"squeue failed: {r.stderr.strip()}"
    return f"squeue (id name state time reason workdir):\n{r.stdout.strip() or '(empty)'}"


def job_fields(job_id: str) -> dict[str, str]:
    r = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, timeout=30
    )
    assert r.returncode == 0, (
        f"scontrol show job {job_id}: {r.stderr.strip()} (MinJobAge too short?)"
    )
    return dict(re.findall(r"(\w+)=(\S*)", r.stdout))


def wait_job_done(job_id: str, log: Path) -> dict[str, str]:
    fields: dict[str, str] = {}

    def done() -> bool:
        fields.update(job_fields(job_id))
        return fields["JobState"] in TERMINAL

    try:
        wait_for(done, f"job {job_id} to end")
    except AssertionError as e:
        raise AssertionError(f"{e}; state {fields.get('JobState')}; log {tail(log)}") from None
    return fields


def tail(path: Path, n: int = 40) -> str:
    if not path.exists():
        return f"({path} missing)"
    lines = path.read_text(errors="replace").replace("\r", "\n").splitlines()
    return f"{path}:\n" + "\n".join(lines[-n:])


def metric_rows(run_dir: Path) -> list[dict]:
    """metrics.jsonl's complete rows (a row being written is not one yet)."""
    path = run_dir / "metrics.jsonl"
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return rows


def without_timings(rows: list[dict]) -> list[dict]:
    return [
        {k: v for k, v in r.items() if not k.startswith(("time/", "tokens_per_s"))} for r in rows
    ]


def starts(run_dir: Path) -> list[dict]:
    """run_info.json's record of each start of the process (host, SLURM job, restart count)."""
    return json.loads((run_dir / "run_info.json").read_text())["starts"]


def checkpoint_steps(run_dir: Path) -> list[int]:
    return sorted(int(p.name.split("-")[1]) for p in (run_dir / "checkpoints").glob("step-*"))


def sweep_run(sweep_dir: Path, num: int) -> Path:
    """The run folder of job `num` of a Hydra sweep (`<num>_<overrides>`)."""
    found = list(sweep_dir.glob(f"{num}_*"))
    assert len(found) == 1, f"{sweep_dir}: {len(found)} folders {num}_*"
    return found[0]


def submitit_job_ids(sweep_dir: Path) -> list[str]:
    folder = sweep_dir / ".submitit"
    return (
        [p.name for p in folder.iterdir() if re.fullmatch(r"\d+(_\d+)?", p.name)]
        if folder.exists()
        else []
    )


# ---- everything submitted at once ---------------------------------------------------------
@dataclass
class Sbatch:
    job_id: str
    run_dir: Path
    log: Path


@dataclass
class Sweep:
    proc: subprocess.Popen
    sweep_dir: Path
    log: Path
    rc: int | None = field(default=None)

    def wait(self) -> int:
        if self.rc is None:
            try:
                self.rc = self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                raise AssertionError(
                    f"sweep not done in {WAIT_S} s: {tail(self.log)}\n{queue()}"
                ) from None
        return self.rc


class Preemption(threading.Thread):
    """Sends README's scancel line to a job once its run has logged its first step (so the
    signal lands mid-training whichever test is running then); `result()` reports it."""

    def __init__(self, scancel: list[str], find_run: Callable[[], Path | None], log: Path):
        super().__init__(daemon=True)
        assert "JOB_ID" in scancel, f"README's `{shlex.join(scancel)}` has no JOB_ID"
        self.scancel, self.find_run, self.log = scancel, find_run, log
        self.run_dir: Path | None = None
        self.job_id: str | None = None
        self.error: str | None = None
        self.start()

    def run(self) -> None:
        try:
            self.run_dir = wait_for(self.find_run, "the run folder")
            # A tenth of a second: on a quiet machine the tiny run's remaining steps take about
            # a second, and a 1 s poll let the signal land after training (in the final eval).
            wait_for(
                lambda: metric_rows(self.run_dir), f"the first step in {self.run_dir}", poll=0.1
            )
            self.job_id = starts(self.run_dir)[-1]["slurm"]["SLURM_JOB_ID"]
            cmd = [self.job_id if t == "JOB_ID" else t for t in self.scancel]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                self.error = f"{shlex.join(cmd)}: {r.stderr.strip()}"
        except Exception as e:  # reported by the test that waits on this job
            self.error = f"{type(e).__name__}: {e}"

    def result(self) -> tuple[Path, str]:
        """(run dir, job id) once the signal was sent; fails with what went wrong."""
        self.join(WAIT_S * 2)
        assert not self.is_alive(), "the preemption signal was never sent"
        assert self.error is None, f"{self.error}; {tail(self.log)}"
        return self.run_dir, self.job_id


@dataclass
class Jobs:
    root: Path
    usr1: Sbatch
    reference: Sbatch
    usr2: Sweep
    sweep: Sweep
    usr1_signal: Preemption
    usr2_signal: Preemption


def submit_sbatch(root: Path, name: str) -> Sbatch:
    """README's sbatch line (CPU partition options included), its log and run dir in root."""
    run_dir, log = root / name, root / f"{name}-slurm.out"
    cmd = replace_value(readme_command("sbatch"), "hydra.run.dir", str(run_dir))
    cmd = [cmd[0], "--parsable", f"--output={log}", f"--job-name={name}", *cmd[1:], *STEPS]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{shlex.join(cmd)}: {r.stderr}"
    return Sbatch(r.stdout.strip().split(";")[0], run_dir, log)


def start_sweep(root: Path, name: str, seeds: str) -> Sweep:
    """README's `--multirun hydra/launcher=slurm` line, its sweep folder in root."""
    sweep_dir, log = root / name, root / f"{name}-driver.log"
    cmd = replace_value(
        python(readme_command("python", "-m", "experiments.run", "--multirun")),
        "hydra.sweep.dir",
        str(sweep_dir),
    )
    cmd = replace_value(cmd, "seed", seeds) + list(STEPS)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    return Sweep(proc, sweep_dir, log)


@pytest.fixture(scope="module")
def jobs(slurm_cluster, request) -> Jobs:
    # Not pytest's tmp_path: its rotation of old numbered folders, run by any other pytest
    # on the machine, could delete this one under the running jobs. Kept when a test failed.
    root = Path(tempfile.mkdtemp(prefix="multireward-slurm-tests-"))
    failed_before = request.session.testsfailed
    # The two to be preempted first, so their requeue holds overlap the others' work.
    usr1 = submit_sbatch(root, "usr1")
    usr2 = start_sweep(root, "usr2_sweep", "0")
    submitted = Jobs(
        root=root,
        usr1=usr1,
        usr2=usr2,
        reference=submit_sbatch(root, "reference"),
        sweep=start_sweep(root, "sweep", "0,1"),
        usr1_signal=Preemption(
            readme_command("scancel", "--signal=USR1", "--batch"), lambda: usr1.run_dir, usr1.log
        ),
        usr2_signal=Preemption(
            readme_command("scancel", "--signal=USR2"),
            lambda: next(iter(usr2.sweep_dir.glob("0_*")), None),
            usr2.log,
        ),
    )
    yield submitted
    # Whatever a failed test left: cancel this module's jobs only, stop its sweep drivers.
    ids = [submitted.usr1.job_id, submitted.reference.job_id]
    for sweep in (submitted.usr2, submitted.sweep):
        ids += submitit_job_ids(sweep.sweep_dir)
        if sweep.proc.poll() is None:
            sweep.proc.terminate()
            sweep.proc.wait(timeout=60)
    subprocess.run(["scancel", *ids], capture_output=True, timeout=60)
    if request.session.testsfailed == failed_before:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print(f"\nslurm test jobs' folders and logs kept in {root}")


def assert_resumed_to_the_same_metrics(run_dir: Path, reference: Path, log: str) -> None:
    """Stopped once mid-training with a checkpoint, restarted by SLURM once, finished with
    the uninterrupted run's metrics (timings aside)."""
    assert (run_dir / "summary.json").exists(), log
    runs = starts(run_dir)
    assert len(runs) == 2, f"{len(runs)} starts: {runs}"
    assert runs[1]["slurm"]["SLURM_RESTART_COUNT"] == "1"
    stopped_at = checkpoint_steps(run_dir)
    assert len(stopped_at) == 1 and 1 <= stopped_at[0] < 6, stopped_at
    rows, expected = metric_rows(run_dir), metric_rows(reference)
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert without_timings(rows) == without_timings(expected)


# ---- the tests ----------------------------------------------------------------------------
def test_readme_sbatch_options_fit_a_cpu_node(slurm_cluster):
    """The `#SBATCH` defaults (8 GPUs, 32 CPUs) do not fit a small CPU node; README's
    overrides do (sbatch --test-only asks the scheduler without submitting)."""
    cmd = readme_command("sbatch")
    assert "--gpus-per-node=0" in cmd and "--cpus-per-task=1" in cmd
    r = subprocess.run(
        [cmd[0], "--test-only", *cmd[1:]], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and "to start at" in r.stderr, r.stderr


def test_sweep_as_a_job_array_then_compare(jobs):
    rc = jobs.sweep.wait()
    assert rc == 0, tail(jobs.sweep.log)
    runs = [sweep_run(jobs.sweep.sweep_dir, n) for n in (0, 1)]
    for run in runs:
        assert (run / "summary.json").exists(), tail(jobs.sweep.log)
        assert [r["step"] for r in metric_rows(run)] == [1, 2, 3, 4, 5, 6]
    slurm = [starts(run)[0]["slurm"] for run in runs]  # one array, one task per run
    assert slurm[0]["SLURM_ARRAY_JOB_ID"] == slurm[1]["SLURM_ARRAY_JOB_ID"]
    assert sorted(s["SLURM_ARRAY_TASK_ID"] for s in slurm) == ["0", "1"]

    cmd = python(readme_command("python", "-m", "experiments.compare"))
    sweep_arg = readme_command("python", "-m", "experiments.run", "--multirun")
    assert f"hydra.sweep.dir={cmd[3]}" in sweep_arg, "README compares another folder than it sweeps"
    out = jobs.root / "compare"
    cmd = [*cmd[:3], str(jobs.sweep.sweep_dir), *cmd[4:], "--out", str(out)]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert len(results["runs"]) == 2, results["runs"]
    assert "drbo/" in (out / "table.md").read_text()


def test_sbatch_single_node_runs_to_completion_in_the_given_run_dir(jobs):
    ref = jobs.reference
    state = wait_job_done(ref.job_id, ref.log)
    assert (state["JobState"], state["ExitCode"]) == ("COMPLETED", "0:0"), tail(ref.log)
    assert (ref.run_dir / "summary.json").exists(), tail(ref.log)
    assert [r["step"] for r in metric_rows(ref.run_dir)] == [1, 2, 3, 4, 5, 6]
    assert starts(ref.run_dir)[0]["slurm"]["SLURM_JOB_ID"] == ref.job_id


def test_usr1_preemption_checkpoints_requeues_and_resumes_to_the_uninterrupted_metrics(jobs):
    job = jobs.usr1
    _, signalled = jobs.usr1_signal.result()
    assert signalled == job.job_id
    state = wait_job_done(job.job_id, job.log)
    log = job.log.read_text(errors="replace")
    assert (state["JobState"], state["Restarts"]) == ("COMPLETED", "1"), tail(job.log)
    assert "preemption signal: checkpoint, then requeue" in log
    # torchrun's report of the planned exit 143 is one line, not a ChildFailedError traceback.
    assert log.count("torchrun: planned stop: experiments.run exited 143 (SIGTERM)") == 1, log
    assert "Traceback" not in log and "ChildFailedError" not in log, log
    wait_job_done(jobs.reference.job_id, jobs.reference.log)
    assert_resumed_to_the_same_metrics(job.run_dir, jobs.reference.run_dir, tail(job.log))


def test_submitit_usr2_preemption_requeues_and_resumes_to_the_uninterrupted_metrics(jobs):
    usr2 = jobs.usr2
    run_dir, _ = jobs.usr2_signal.result()
    assert usr2.wait() == 0, tail(usr2.log)
    logs = "".join(
        p.read_text(errors="replace") for p in (usr2.sweep_dir / ".submitit").rglob("*_log.*")
    )
    assert "caught SIGUSR2: stopping after this step with a checkpoint" in logs
    assert "this job is preempted" in logs  # submitit's handler took over and requeued
    assert jobs.sweep.wait() == 0, tail(jobs.sweep.log)
    reference = sweep_run(jobs.sweep.sweep_dir, 0)  # same overrides, uninterrupted
    assert_resumed_to_the_same_metrics(run_dir, reference, tail(usr2.log))
