#!/usr/bin/env bash
# ctest mpi_decisions: with BatchNorm per rank, every rank of a 4-rank run (oversubscribed)
# takes the same decisions (mpi_decisions.c checks the histories, stop epoch and reason) and
# ends with the same trainer checkpoint (every tensor and field but wall times: nnstate diff).
# Loopback only, as run_mpi_tests.sh. Usage: run_mpi_decisions.sh PROGRAM NNSTATE_TOOL WORK_DIR
set -euo pipefail
program=$1 tool=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
source "$(dirname "${BASH_SOURCE[0]}")/loopback_env.sh"
mpirun -np 4 --oversubscribe "$program" "$work"
for r in 1 2 3; do
  "$tool" diff "$work/rank0.nnst" "$work/rank$r.nnst" ||
    { echo "FAIL: rank $r's final checkpoint differs from rank 0's" >&2; exit 1; }
done
echo "mpi_decisions: the 4 ranks' final checkpoints are identical"
