#!/usr/bin/env bash
# A one-node SLURM on this Debian machine (no systemd needed): what the `slurm` tests and CI
# submit to, and a place to try the sbatch scripts before a real cluster.
#
#   slurm/local_cluster.sh up       install the packages (apt-get, once), write the config,
#                                   start munged, slurmctld and slurmd with an empty queue
#                                   (jobs of a controller killed without `down` are dropped);
#                                   waits for the node
#   slurm/local_cluster.sh status   exit 0 when the node answers, 1 when it does not
#   slurm/local_cluster.sh down     stop the daemons it started, remove their config and state
#   slurm/local_cluster.sh purge    down, then remove the packages (leaves the machine as found)
#
# Needs root and apt-get (Debian 12: slurm 22.05, munge 0.5). Exit codes:
#   0   done
#   1   installed but the cluster did not come up (a real failure: see the log it names)
#   2   usage
#   69  SLURM cannot be had here (not root, no apt-get, packages not installable, or a
#       slurm.conf this script did not write): the reason is printed and the tests skip
#
# The node is `hostname -s` with the machine's CPUs and 85 % of its memory, in one default
# partition `local`. AuthInfo=cred_expire=10 shortens the hold SLURM puts on a requeued job
# (BeginTime = requeue + cred_expire, 120 s by default) so a preempted job restarts in
# seconds; sched_interval=2 starts it as soon as the hold ends; MinJobAge=3600 keeps an ended
# job's record (state, exit code, restarts) in `scontrol show job` for an hour.
set -uo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
MARK="# written by multireward slurm/local_cluster.sh"
STATE=/var/spool/slurmctld
SPOOL=/var/spool/slurmd
LOGS=/var/log/slurm
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid
PACKAGES=(slurmctld slurmd slurm-client munge)
EX_UNAVAILABLE=69

NODE=$(hostname -s)

unavailable() {
  echo "local_cluster: SLURM unavailable: $*" >&2
  exit "$EX_UNAVAILABLE"
}

fail() {
  echo "local_cluster: $*" >&2
  exit 1
}

installed() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
    && command -v sbatch >/dev/null && command -v munged >/dev/null
}

install_packages() {
  installed && return 0
  [[ $(id -u) == 0 ]] || unavailable "the packages ${PACKAGES[*]} are missing and installing them needs root"
  command -v apt-get >/dev/null || unavailable "the packages ${PACKAGES[*]} are missing and there is no apt-get (Debian/Ubuntu only)"
  echo "local_cluster: apt-get install ${PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be missing or stale on a fresh machine: update once on failure.
  if ! apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >/tmp/local_cluster.apt.log 2>&1; then
    apt-get update -q >>/tmp/local_cluster.apt.log 2>&1 \
      && apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>/tmp/local_cluster.apt.log 2>&1 \
      || unavailable "apt-get could not install ${PACKAGES[*]} (last lines of /tmp/local_cluster.apt.log:
$(tail -n 5 /tmp/local_cluster.apt.log))"
  fi
  installed || unavailable "apt-get ran but slurmctld/slurmd/sbatch/munged are still not on PATH"
}

# The node's figures: CPUs, and RealMemory (MiB) at 85 % of the physical memory, which slurmd
# checks the declared value against (a larger one drains the node).
config_text() {
  local cpus mem_mib def_mem
  cpus=$(nproc)
  mem_mib=$(awk '/^MemTotal:/ {printf "%d", $2 * 0.85 / 1024}' /proc/meminfo)
  def_mem=$((mem_mib / cpus))
  cat <<EOF
$MARK
ClusterName=local
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=cred_expire=10
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$def_mem
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOGS/jobcomp.log
JobRequeue=1
ReturnToService=2
MinJobAge=3600
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=5
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  # The packages ship no cgroup.conf; none of the plugins above needs one.
}

check_config_is_ours() {
  if [[ -e $CONF ]] && ! grep -qF "$MARK" "$CONF"; then
    unavailable "$CONF exists and was not written by this script; not touching that cluster"
  fi
}

write_config() {
  mkdir -p "$CONF_DIR" "$STATE" "$SPOOL" "$LOGS"
  config_text >"$CONF"
}

running() { # pidfile -> the daemon it names is alive
  [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

node_state() {
  timeout 10 sinfo -h -n "$NODE" -o %t 2>/dev/null | head -n 1
}

answering() {
  local state
  state=$(node_state)
  [[ $state =~ ^(idle|mix|alloc|comp) ]]
}

start_munge() {
  running "$MUNGE_PID" && return 0
  [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key \
    || fail "could not create /etc/munge/munge.key"
  chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- munged || fail "munged did not start (see /var/log/munge/munged.log)"
  munge -n | unmunge >/dev/null || fail "munge credentials do not round-trip"
}

up() {
  install_packages
  check_config_is_ours
  if answering && running "$CTLD_PID" && running "$SLURMD_PID" \
    && [[ "$(config_text)" == "$(cat "$CONF")" ]]; then
    echo "local_cluster: already up: node $NODE $(node_state)"
    return 0
  fi
  # Down, partly up, or up with another config: start afresh.
  [[ $(id -u) == 0 ]] || unavailable "starting munged, slurmctld and slurmd needs root"
  stop_daemons
  clear_old_jobs
  write_config
  start_munge
  slurmctld || fail "slurmctld did not start (see $LOGS/slurmctld.log)"
  slurmd || fail "slurmd did not start (see $LOGS/slurmd.log)"
  local i
  for i in $(seq 60); do
    answering && break
    sleep 1
  done
  answering || fail "node $NODE is '$(node_state)' after 60 s (see $LOGS/slurmd.log, $LOGS/slurmctld.log)"
  echo "local_cluster: up: node $NODE ($(nproc) CPUs), partition local, $(node_state)"
}

stop_pidfile() { # pidfile: TERM the daemon it names, wait for it to go
  local pid i
  running "$1" || { rm -f "$1"; return 0; }
  pid=$(cat "$1")
  kill "$pid"
  for i in $(seq 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$1"
}

# A controller killed without `down` (a machine or session that stopped mid-test) leaves its
# job records in $STATE: a new slurmctld recovers them and their jobs hold the node's CPUs
# until their time limit while new jobs wait (CI once waited 23 min on jobs of a dead run).
# Their processes are gone or orphaned; this script owns $STATE and $SPOOL, so a fresh start
# begins with an empty queue.
clear_old_jobs() {
  if [[ -d $STATE ]] && compgen -G "$STATE/job_state*" >/dev/null; then
    echo "local_cluster: dropping the job records a stopped controller left in $STATE"
  fi
  pkill -x slurmstepd 2>/dev/null || true
  rm -rf "$STATE" "$SPOOL"
}

stop_daemons() {
  stop_pidfile "$SLURMD_PID"
  stop_pidfile "$CTLD_PID"
  stop_pidfile "$MUNGE_PID"
}

down() {
  check_config_is_ours
  stop_daemons
  rm -rf "$STATE" "$SPOOL"
  rm -f "$CONF"
  echo "local_cluster: down"
}

purge() {
  down
  [[ $(id -u) == 0 ]] || unavailable "removing the packages needs root"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${PACKAGES[@]}" >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -q >/dev/null 2>&1
  rm -rf "$LOGS"
  echo "local_cluster: packages removed"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  purge) purge ;;
  status)
    if answering; then
      echo "local_cluster: node $NODE $(node_state)"
    else
      echo "local_cluster: no answering SLURM node $NODE" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 up|status|down|purge" >&2
    exit 2
    ;;
esac
