# Shared by the sbatch scripts (sourced, not run): the run directory, the launch command and
# checkpoint-then-requeue on preemption.
#
# Environment knobs (all optional):
#   PY=.venv/bin/python        the interpreter with the project installed
#   LAUNCHER=torchrun|deepspeed
#   RUN_DIR=outputs/slurm/<job name>-<job id>   fixed per job, so a requeued job finds its
#                                                checkpoints there and resumes; a
#                                                hydra.run.dir=PATH argument sets it too
#   MASTER_PORT=29500
#   DRY_RUN=1                  print the command instead of running it
#
# Preemption: submit with --requeue and --signal=B:USR1@<seconds>. On USR1 (or TERM) the trap
# touches RUN_DIR/STOP; every rank sees it after its current step, writes a checkpoint and
# exits; the script then requeues the job, whose next start resumes from that checkpoint
# (experiments.run resumes whenever SLURM_RESTART_COUNT > 0).

PY=${PY:-.venv/bin/python}
LAUNCHER=${LAUNCHER:-torchrun}
MASTER_PORT=${MASTER_PORT:-29500}
NNODES=${SLURM_NNODES:-1}
# Processes per node: one per allocated GPU; on a CPU partition (--gpus-per-node=0 sets no
# SLURM_GPUS_ON_NODE) one, or GPUS=N gloo processes.
GPUS=${SLURM_GPUS_ON_NODE:-${GPUS:-1}}
(( GPUS > 0 )) 2>/dev/null || GPUS=1
JOB_ID=${SLURM_JOB_ID:-local}
GIVEN_RUN_DIR=${RUN_DIR:-}
RUN_DIR=${RUN_DIR:-outputs/slurm/${SLURM_JOB_NAME:-multireward}-${JOB_ID}}
SLURM_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

first_node() {
  if [[ -n "${SLURM_JOB_NODELIST:-}" ]] && command -v scontrol >/dev/null; then
    scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1
  else
    hostname
  fi
}

# The run directory: a hydra.run.dir=PATH among the overrides is honoured (it becomes RUN_DIR,
# where the trap writes STOP and a requeued job looks for its checkpoints); else RUN_DIR.
# Sets RUN_DIR and RUN_DIR_GIVEN (1 when an override named it).
resolve_run_dir() {
  local arg given=""
  RUN_DIR_GIVEN=0
  for arg in "$@"; do
    case "$arg" in
      hydra.run.dir=* | +hydra.run.dir=* | ++hydra.run.dir=*) given=${arg#*=} ;;
    esac
  done
  [[ -z "$given" ]] && return 0
  if [[ "$given" == *'${'* ]]; then
    echo "hydra.run.dir=$given: give a fixed path under SLURM (a requeued job must find its" \
      "checkpoints there, and an interpolation such as \${now:...} changes on every start)" >&2
    return 2
  fi
  if [[ -n "$GIVEN_RUN_DIR" && "$GIVEN_RUN_DIR" != "$given" ]]; then
    echo "RUN_DIR=$GIVEN_RUN_DIR and hydra.run.dir=$given name different run directories;" \
      "give one of them" >&2
    return 2
  fi
  RUN_DIR=$given
  RUN_DIR_GIVEN=1
}

# Fills the array CMD with the launch command for "$@" (Hydra overrides).
build_command() {
  local master_addr
  master_addr=${MASTER_ADDR:-$(first_node)}
  resolve_run_dir "$@" || return
  local -a args=("$@")
  (( RUN_DIR_GIVEN )) || args+=("hydra.run.dir=$RUN_DIR")
  local -a run=(-m experiments.run "${args[@]}")
  # slurm/torchrun.py is torchrun, with a planned stop (exit 143 after the checkpoint) told
  # in one line instead of a ChildFailedError traceback.
  local torchrun="$SLURM_SCRIPTS/torchrun.py"
  case "$LAUNCHER" in
    torchrun)
      if (( NNODES > 1 )); then
        # One torchrun per node (srun), joined by a c10d rendezvous on the first node.
        CMD=(srun --kill-on-bad-exit=1 --ntasks-per-node=1
             "$PY" "$torchrun" --nnodes="$NNODES" --nproc_per_node="$GPUS"
             --rdzv_id="$JOB_ID" --rdzv_backend=c10d
             --rdzv_endpoint="$master_addr:$MASTER_PORT" "${run[@]}")
      else
        CMD=("$PY" "$torchrun" --standalone --nproc_per_node="$GPUS" "${run[@]}")
      fi
      ;;
    deepspeed)
      # DeepSpeed's launcher without ssh: one per node, the hostfile names every node.
      # --node_rank is each node's own SLURM_NODEID, so a shell on that node reads it; the
      # shell's script is a fixed string and every other word reaches it as its own argv
      # entry ("$0" "$@"), never pasted into the script: a run directory named
      # 'q$(touch x)' or holding a space stays one path.
      local hostfile="$RUN_DIR/hostfile"
      CMD=(srun --kill-on-bad-exit=1 --ntasks-per-node=1
           bash -c 'exec "$0" -m deepspeed.launcher.runner --node_rank="$SLURM_NODEID" "$@"'
           "$PY" --no_ssh --no_local_rank --hostfile="$hostfile" --num_nodes="$NNODES"
           --num_gpus="$GPUS" --master_addr="$master_addr" --master_port="$MASTER_PORT"
           --module experiments.run "${args[@]}")
      HOSTFILE=$hostfile
      ;;
    *)
      echo "LAUNCHER=$LAUNCHER; allowed values: torchrun, deepspeed" >&2
      return 2
      ;;
  esac
}

write_hostfile() {
  [[ -z "${HOSTFILE:-}" ]] && return 0
  mkdir -p "$(dirname "$HOSTFILE")"
  if command -v scontrol >/dev/null && [[ -n "${SLURM_JOB_NODELIST:-}" ]]; then
    scontrol show hostnames "$SLURM_JOB_NODELIST" | sed "s/\$/ slots=$GPUS/" > "$HOSTFILE"
  else
    echo "$(hostname) slots=$GPUS" > "$HOSTFILE"
  fi
}

# Runs CMD; on USR1/TERM asks the run to checkpoint and stop, then requeues the job.
launch() {
  if [[ "${DRY_RUN:-0}" == 1 ]]; then
    echo "run dir: $RUN_DIR (restart ${SLURM_RESTART_COUNT:-0})"
    printf '%q ' "${CMD[@]}"; echo
    return 0
  fi
  mkdir -p "$RUN_DIR"
  write_hostfile
  rm -f "$RUN_DIR/STOP"
  local requeue=0 rc=0 pid
  trap 'echo "preemption signal: checkpoint, then requeue"; touch "$RUN_DIR/STOP"; requeue=1' USR1 TERM
  "${CMD[@]}" &
  pid=$!
  # `wait` returns early when a trapped signal arrives: wait again until the run has exited.
  while true; do
    wait "$pid" && rc=0 || rc=$?
    kill -0 "$pid" 2>/dev/null || break
  done
  if (( requeue )) && [[ -n "${SLURM_JOB_ID:-}" ]]; then
    scontrol requeue "$SLURM_JOB_ID"
  fi
  return "$rc"
}
