#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine (as root, without systemd) for VAE Lab's
# tests: munged, slurmctld and slurmd from Debian's munge and slurm-wlm packages. Idempotent: a
# cluster that already answers is left alone. Shared by .ci/run and developers.
#
# The configuration is the smallest that runs job arrays here: ProctrackType=proctrack/linuxproc
# and TaskPlugin=task/none (no cgroups, no systemd), one node (this machine, all its CPUs), one
# partition. An existing slurm.conf that this script did not write is never replaced.
set -euo pipefail

CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}
MARK='# written by vae-lab scripts/ci/start-slurm.sh'
NODE=$(hostname -s)
CPUS=$(nproc)
STATE=/var/spool/slurmctld
SPOOL=/var/spool/slurmd
LOGS=/var/log/slurm

say() { echo "start-slurm: $*" >&2; }

for cmd in munged slurmctld slurmd sbatch scontrol; do
  if ! command -v "$cmd" >/dev/null; then
    say "$cmd is missing (apt-get install slurm-wlm munge)"
    exit 1
  fi
done

# A client call to a controller that is gone waits for its timeouts: never more than a few seconds.
node_up() { timeout 5 sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated|completing)'; }

if pgrep -x slurmctld >/dev/null && pgrep -x slurmd >/dev/null && node_up; then
  say "a Slurm cluster is already up"
  exit 0
fi

if [ ! -e "$CONF" ] || grep -qF "$MARK" "$CONF"; then
  # Written for another host (a machine image started under a new name): the controller's saved
  # state names a node that no longer exists, so it starts from none. Only this script's test
  # cluster keeps state there.
  if [ -e "$CONF" ] && ! grep -q "^NodeName=$NODE " "$CONF"; then
    say "slurm.conf was written on another host; clearing $STATE"
    rm -rf "${STATE:?}"/*
  fi
  mkdir -p "$(dirname "$CONF")"
  cat >"$CONF" <<CONFEOF
$MARK
ClusterName=vaelab
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
# Seconds between SIGTERM and SIGKILL when a job is cancelled: the worker gives its run back first.
KillWait=30
MinJobAge=300
NodeName=$NODE CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONFEOF
fi

mkdir -p "$STATE" "$SPOOL" "$LOGS"
if ! pgrep -u munge -x munged >/dev/null; then
  say "starting munged"
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- munged
fi
if ! pgrep -x slurmctld >/dev/null; then
  say "starting slurmctld"
  slurmctld -f "$CONF"
fi
if ! pgrep -x slurmd >/dev/null; then
  say "starting slurmd"
  slurmd -f "$CONF"
fi

# A node left DOWN by daemons that were killed comes back with ReturnToService=2; resume it anyway.
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
  if node_up; then
    say "Slurm is up: node $NODE, $CPUS CPUs, partition debug"
    exit 0
  fi
  timeout 5 scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
  sleep 1
done
say "Slurm did not come up; see $LOGS/slurmctld.log and $LOGS/slurmd.log"
exit 1
