"""The sbatch scripts without a cluster: they parse, print the launch command they would run,
honour a hydra.run.dir argument, and on the preemption signal ask the run to checkpoint, wait
for it, then requeue the job (against a real SLURM: test_cluster.py)."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SLURM = REPO / "slurm"


def _dry_run(script: str, *args: str, **env: str) -> str:
    full_env = {**os.environ, "DRY_RUN": "1", "PY": "python", **env}
    for k in (
        "SLURM_JOB_ID",
        "SLURM_NNODES",
        "SLURM_RESTART_COUNT",
        "RUN_DIR",
        "LAUNCHER",
        "MASTER_ADDR",
        "MASTER_PORT",
    ):  # a DeepSpeed test in this process may have set the rendezvous variables
        if k not in env:
            full_env.pop(k, None)
    return subprocess.run(
        ["bash", str(SLURM / script), *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_scripts_parse():
    scripts = [*SLURM.glob("*.sbatch"), SLURM / "launch.sh"]
    assert len(scripts) >= 3
    for script in scripts:
        subprocess.run(["bash", "-n", str(script)], check=True)


def test_single_node_dry_run_prints_torchrun_command_and_a_fixed_run_dir():
    out = _dry_run(
        "single_node.sbatch",
        "+exp=shopping_mmlu",
        "engine=zero3",
        SLURM_GPUS_ON_NODE="4",
        SLURM_JOB_ID="123",
    )
    assert "slurm/torchrun.py --standalone --nproc_per_node=4" in out
    assert "-m experiments.run +exp=shopping_mmlu engine=zero3" in out
    assert "hydra.run.dir=outputs/slurm/multireward-123" in out


def test_a_hydra_run_dir_argument_is_the_run_dir_not_overridden():
    """README's `sbatch slurm/single_node.sbatch +exp=... hydra.run.dir=...`: the user's
    folder is where the run writes, the trap puts STOP and a requeued job resumes."""
    out = _dry_run(
        "single_node.sbatch", "+exp=debug", "hydra.run.dir=outputs/mine", SLURM_JOB_ID="9"
    )
    assert "run dir: outputs/mine" in out
    assert out.count("hydra.run.dir=") == 1 and "hydra.run.dir=outputs/mine" in out


@pytest.mark.parametrize(
    ("arg", "env", "message"),
    [
        ("hydra.run.dir=outputs/a", {"RUN_DIR": "outputs/b"}, "name different run directories"),
        ("hydra.run.dir=outputs/${now:%H-%M}", {}, "give a fixed path under SLURM"),
    ],
)
def test_a_run_dir_that_cannot_work_is_refused_with_the_reason(arg, env, message):
    r = subprocess.run(
        ["bash", str(SLURM / "single_node.sbatch"), "+exp=debug", arg],
        cwd=REPO,
        env={**os.environ, "DRY_RUN": "1", "PY": "python", **env},
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and message in r.stderr and arg.split("=", 1)[1] in r.stderr


@pytest.mark.parametrize("gpus_env", [{}, {"SLURM_GPUS_ON_NODE": "0"}])
def test_a_cpu_partition_runs_one_process(gpus_env):
    """`sbatch --gpus-per-node=0` on a CPU partition: SLURM sets no SLURM_GPUS_ON_NODE (or a
    0): one process, not torchrun with --nproc_per_node=0."""
    out = _dry_run("single_node.sbatch", "+exp=debug", SLURM_GPUS_PER_NODE="0", **gpus_env)
    assert "--nproc_per_node=1 " in out


def test_multi_node_dry_run_uses_srun_and_a_rendezvous_on_the_first_node():
    out = _dry_run(
        "multi_node.sbatch",
        "+exp=debug",
        SLURM_NNODES="2",
        SLURM_GPUS_ON_NODE="8",
        SLURM_JOB_ID="77",
        MASTER_ADDR="node-a",
    )
    assert out.count("srun") == 1 and "--nnodes=2 --nproc_per_node=8" in out
    assert "--rdzv_id=77 --rdzv_backend=c10d --rdzv_endpoint=node-a:29500" in out


def test_multi_node_dry_run_with_the_deepspeed_launcher():
    out = _dry_run(
        "multi_node.sbatch",
        "+exp=debug",
        LAUNCHER="deepspeed",
        SLURM_NNODES="2",
        SLURM_GPUS_ON_NODE="8",
        SLURM_JOB_ID="77",
        MASTER_ADDR="node-a",
    )
    assert "deepspeed.launcher.runner" in out and "--no_ssh" in out
    assert "--num_nodes=2" in out and "--module experiments.run +exp=debug" in out


def test_deepspeed_launch_passes_a_hostile_run_dir_as_one_argument(tmp_path):
    """LAUNCHER=deepspeed once pasted the hostfile path and PY into a `bash -c` string: a run
    directory named `q$(touch marker)` ran `touch`, and a space split --hostfile in two. A
    stub srun (runs its command, as SLURM would on each node) and a stub interpreter (records
    its argv) show each path arriving as one argument and nothing executed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    run_dir = tmp_path / "q$(touch marker) two words"
    argv_log = tmp_path / "argv.txt"
    srun = bin_dir / "srun"
    # drop srun's own options, then run the command with SLURM_NODEID set, as on node 0
    # (in tmp_path, where an injected `touch marker` would leave its file)
    srun.write_text(
        '#!/usr/bin/env bash\nwhile [[ "$1" == --* ]]; do shift; done\n'
        f'cd "{tmp_path}" && SLURM_NODEID=0 exec "$@"\n'
    )
    fake_py = bin_dir / "fake python"  # a space in PY too
    fake_py.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "{argv_log}"\n')
    for f in (srun, fake_py):
        f.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PY": str(fake_py),
        "LAUNCHER": "deepspeed",
        "RUN_DIR": str(run_dir),
        "SLURM_NNODES": "2",
        "MASTER_ADDR": "node-a",
    }
    for k in ("DRY_RUN", "SLURM_JOB_ID", "SLURM_JOB_NODELIST", "SLURM_RESTART_COUNT"):
        env.pop(k, None)
    r = subprocess.run(
        ["bash", str(SLURM / "multi_node.sbatch"), "+exp=debug", "seed=1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "marker").exists()
    argv = argv_log.read_text().splitlines()
    assert argv[:3] == ["-m", "deepspeed.launcher.runner", "--node_rank=0"]
    assert f"--hostfile={run_dir}/hostfile" in argv
    assert (run_dir / "hostfile").is_file()
    assert argv[-4:] == ["experiments.run", "+exp=debug", "seed=1", f"hydra.run.dir={run_dir}"]


def test_unknown_launcher_names_the_allowed_values():
    r = subprocess.run(
        ["bash", str(SLURM / "single_node.sbatch"), "+exp=debug"],
        cwd=REPO,
        env={**os.environ, "DRY_RUN": "1", "LAUNCHER": "mpirun"},
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "allowed values: torchrun, deepspeed" in r.stderr


@pytest.mark.parametrize("run_dir_from", ["RUN_DIR", "hydra.run.dir"])
def test_preemption_signal_stops_the_run_through_the_stop_file_then_requeues(
    tmp_path, run_dir_from
):
    """A fake interpreter stands in for the training (it exits 143 once <run dir>/STOP
    appears, as experiments.run does after its checkpoint) and a fake scontrol records the
    requeue. The run dir comes from RUN_DIR or from a hydra.run.dir argument."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    run_dir = tmp_path / "run"
    fake_py = bin_dir / "fake_python"
    fake_py.write_text(
        "#!/usr/bin/env bash\n"
        f'while [[ ! -e "{run_dir}/STOP" ]]; do sleep 0.1; done\n'
        f'echo stopped > "{tmp_path}/trained"\n'
        "exit 143\n"
    )
    scontrol = bin_dir / "scontrol"
    scontrol.write_text(f'#!/usr/bin/env bash\necho "$@" >> "{tmp_path}/scontrol.log"\n')
    for f in (fake_py, scontrol):
        f.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PY": str(fake_py),
        "SLURM_JOB_ID": "555",
    }
    args = ["+exp=debug"]
    if run_dir_from == "RUN_DIR":
        env["RUN_DIR"] = str(run_dir)
    else:
        env.pop("RUN_DIR", None)
        args.append(f"hydra.run.dir={run_dir}")
    env.pop("DRY_RUN", None)
    proc = subprocess.Popen(
        ["bash", str(SLURM / "single_node.sbatch"), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 30
    while not run_dir.exists() and time.time() < deadline:  # the script is up
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGUSR1)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert (tmp_path / "trained").read_text().strip() == "stopped"
    assert (tmp_path / "scontrol.log").read_text().split() == ["requeue", "555"]
    assert "checkpoint, then requeue" in out


@pytest.mark.parametrize("launcher", ["slurm"])
def test_slurm_launcher_config_composes_into_an_sbatch_header(launcher):
    """The launcher config becomes submitit's sbatch options (what `hydra/launcher=slurm`
    submits): partition, account, GPUs, time, array parallelism, the requeue signal."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf
    from submitit.slurm.slurm import _make_sbatch_string

    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[
                "paths.output_dir=/tmp/x",
                "+exp=debug",
                f"hydra/launcher={launcher}",
                "hydra.launcher.partition=gpu",
                "hydra.launcher.account=lab",
                "hydra.launcher.gpus_per_node=4",
                "hydra.launcher.timeout_min=90",
            ],
            return_hydra_config=True,
        )
    lc = OmegaConf.to_container(cfg.hydra.launcher, resolve=False)
    assert lc["_target_"].endswith("SlurmLauncher") and lc["max_num_timeout"] >= 1
    text = _make_sbatch_string(
        command="python -u -m submitit.core._submit /tmp/x",
        folder="/tmp/x/.submitit/%j",
        job_name="debug",
        partition=lc["partition"],
        account=lc["account"],
        gpus_per_node=lc["gpus_per_node"],
        nodes=lc["nodes"],
        ntasks_per_node=lc["tasks_per_node"],
        cpus_per_task=lc["cpus_per_task"],
        mem=f"{lc['mem_gb']}GB",
        time=lc["timeout_min"],
        signal_delay_s=lc["signal_delay_s"],
        array_parallelism=lc["array_parallelism"],
        map_count=32,
    )
    for line in (
        "#SBATCH --partition=gpu",
        "#SBATCH --account=lab",
        "#SBATCH --gpus-per-node=4",
        "#SBATCH --time=90",
        "#SBATCH --array=0-31%16",
        "#SBATCH --signal=USR2@180",
    ):
        assert line in text, line
