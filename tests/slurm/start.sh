#!/usr/bin/env bash
# Start a one-node SLURM cluster on localhost for the cluster-profile test (root only; installs Debian's
# slurmctld, slurmd, slurm-client and munge when missing). Prints the base folder; tests/slurm/stop.sh BASE stops it.
# Pitfalls handled (see the project's SLURM notes): /etc/slurm/slurm.conf must exist because the Snakemake plugin
# strips SLURM_CONF inside jobs; munge's files must sit where the munge user can reach them; no accounting daemon,
# so the profile polls with squeue and MinJobAge stays well above the plugin's first status check.
set -euo pipefail
base=${1:-/tmp/influential-slurm}

if [ "$(id -u)" != 0 ]; then
    echo "SLURM: not root, cannot install or start a cluster" >&2
    exit 2
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

mkdir -p "$base"/{run/munge,state/ctld,state/d,log,etc}
chmod 755 "$base" "$base"/run "$base"/log "$base"/etc
chown -R munge:munge "$base"/run/munge
chmod 700 "$base"/run/munge
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
conf="$base/etc/slurm.conf"
cat > "$conf" <<CONF
ClusterName=influential
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$base/run/munge/munge.socket.2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$base/state/ctld
SlurmdSpoolDir=$base/state/d
SlurmctldPidFile=$base/run/slurmctld.pid
SlurmdPidFile=$base/run/slurmd.pid
SlurmctldLogFile=$base/log/slurmctld.log
SlurmdLogFile=$base/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=300
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p /etc/slurm
ln -sf "$conf" /etc/slurm/slurm.conf
export SLURM_CONF="$conf"

wait_for() {  # description, command...
    local what=$1
    shift
    for _ in $(seq 60); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    echo "SLURM: $what did not come up; logs in $base/log" >&2
    exit 1
}

runuser -u munge -- munged --socket="$base/run/munge/munge.socket.2" --pid-file="$base/run/munge/munged.pid" \
    --log-file="$base/run/munge/munged.log" --seed-file="$base/run/munge/munged.seed" --force
wait_for munge sh -c "munge -n --socket=$base/run/munge/munge.socket.2 | unmunge --socket=$base/run/munge/munge.socket.2"
slurmctld -f "$conf" -c
wait_for slurmctld sh -c "scontrol ping | grep -q UP"
slurmd -f "$conf"
wait_for slurmd sh -c "sinfo -h -N -o %t | grep -q idle"
echo "$base"
