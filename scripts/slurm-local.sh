#!/usr/bin/env bash
# One-node SLURM cluster on this machine, for the SLURM runner's tests (test/slurm.test.ts).
#
#   scripts/slurm-local.sh start    install slurm-wlm + munge if missing, start munged, slurmctld,
#                                   slurmd; wait until `sinfo` shows the node idle (idempotent)
#   scripts/slurm-local.sh stop     stop the daemons this script started (by their pid files)
#   scripts/slurm-local.sh status   print daemon pids and `sinfo`; exit 0 only when the node is usable
#
# No systemd: the daemons are started directly. Everything they write lives under
# $OPTIX_SLURM_DIR (default /tmp/optix-slurm). The config goes to /etc/slurm/slurm.conf because that
# is where sbatch/squeue/sinfo look without SLURM_CONF; an existing slurm.conf that this script did
# not write is never overwritten.
set -euo pipefail

STATE_ROOT="${OPTIX_SLURM_DIR:-/tmp/optix-slurm}"
CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
MARKER="# written by optix scripts/slurm-local.sh"
HOST="$(hostname -s)"
MUNGE_PID=/run/munge/munged.pid
CTLD_PID="$STATE_ROOT/slurmctld.pid"
SLURMD_PID="$STATE_ROOT/slurmd.pid"
START_TIMEOUT_S="${OPTIX_SLURM_START_TIMEOUT_S:-60}"

log() { echo "slurm-local: $*" >&2; }
die() { log "$*"; exit 1; }

alive() { # alive PIDFILE -> 0 when the pid in PIDFILE is a running process
  [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

install_packages() {
  local missing=()
  command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
  command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
  command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
  command -v munged >/dev/null 2>&1 || missing+=(munge)
  if ((${#missing[@]} > 0)); then
    [[ $(id -u) -eq 0 ]] || die "need root to install ${missing[*]} (run as root or install slurm-wlm and munge yourself)"
    log "installing slurm-wlm and munge (missing: ${missing[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
}

start_munge() {
  if alive "$MUNGE_PID"; then return; fi
  install -d -m 0700 -o munge -g munge /etc/munge /var/lib/munge /var/log/munge
  install -d -m 0755 -o munge -g munge /run/munge
  if [[ ! -s /etc/munge/munge.key ]]; then
    log "creating /etc/munge/munge.key"
    if command -v mungekey >/dev/null 2>&1; then
      mungekey --create --keyfile=/etc/munge/munge.key
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 50); do
    munge -n </dev/null >/dev/null 2>&1 && return
    sleep 0.1
  done
  die "munged did not come up (see /var/log/munge/munged.log)"
}

write_conf() {
  if [[ -f "$CONF" ]] && ! grep -qF "$MARKER" "$CONF"; then
    log "$CONF exists and was not written by this script; using it as is"
    return
  fi
  # The node line must match the hardware or slurmd drains the node; `slurmd -C` reports it.
  local node
  node="$(slurmd -C | head -n1 | sed -E 's/^NodeName=[^ ]+ //')"
  mkdir -p "$CONF_DIR" "$STATE_ROOT/state" "$STATE_ROOT/spool" "$STATE_ROOT/log"
  cat >"$CONF.tmp" <<EOF
$MARKER
ClusterName=optix-local
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE_ROOT/state
SlurmdSpoolDir=$STATE_ROOT/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$STATE_ROOT/log/slurmctld.log
SlurmdLogFile=$STATE_ROOT/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/backfill
# Fast turnaround for tests: jobs start within a second, finished jobs stay visible to squeue/scontrol.
SchedulerParameters=sched_interval=1
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
KillWait=2
NodeName=$HOST $node State=UNKNOWN
# OverSubscribe lets a small machine hold a batch of test jobs running side by side.
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
  mv "$CONF.tmp" "$CONF"
}

node_state() {
  sinfo -h -n "$HOST" -o '%T' 2>/dev/null | head -n1 || true
}

start() {
  install_packages
  start_munge
  write_conf
  mkdir -p "$STATE_ROOT/state" "$STATE_ROOT/spool" "$STATE_ROOT/log"
  if ! alive "$CTLD_PID"; then
    log "starting slurmctld"
    slurmctld -f "$CONF"
  fi
  if ! alive "$SLURMD_PID"; then
    log "starting slurmd"
    slurmd -f "$CONF"
  fi
  local deadline=$((SECONDS + START_TIMEOUT_S)) state=""
  while ((SECONDS < deadline)); do
    state="$(node_state)"
    case "$state" in
      idle | mixed | allocated) log "node $HOST is $state"; sinfo; return 0 ;;
      down* | drain* | drained*)
        scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  log "node $HOST not idle after ${START_TIMEOUT_S}s (state: ${state:-no answer}); logs in $STATE_ROOT/log"
  tail -n 20 "$STATE_ROOT/log/slurmctld.log" "$STATE_ROOT/log/slurmd.log" >&2 || true
  exit 1
}

stop_pidfile() { # stop_pidfile NAME PIDFILE
  if alive "$2"; then
    local pid
    pid="$(cat "$2")"
    log "stopping $1 (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

stop() {
  stop_pidfile slurmd "$SLURMD_PID"
  stop_pidfile slurmctld "$CTLD_PID"
  stop_pidfile munged "$MUNGE_PID"
}

status() {
  local name file
  for name in munged slurmctld slurmd; do
    case $name in munged) file=$MUNGE_PID ;; slurmctld) file=$CTLD_PID ;; slurmd) file=$SLURMD_PID ;; esac
    if alive "$file"; then echo "$name: running (pid $(cat "$file"))"; else echo "$name: stopped"; fi
  done
  local state
  state="$(node_state)"
  echo "node $HOST: ${state:-unknown}"
  [[ "$state" == idle || "$state" == mixed || "$state" == allocated ]]
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
