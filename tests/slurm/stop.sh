#!/usr/bin/env bash
# Stop the one-node cluster that tests/slurm/start.sh started (daemons by the PIDs in their pid files).
set -uo pipefail
base=${1:-/tmp/influential-slurm}
for pidfile in "$base/run/slurmd.pid" "$base/run/slurmctld.pid" "$base/run/munge/munged.pid"; do
    if [ -s "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
    fi
done
sleep 1
echo "SLURM: stopped the cluster in $base"
