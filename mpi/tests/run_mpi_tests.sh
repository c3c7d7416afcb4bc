#!/usr/bin/env bash
# The MPI component's end-to-end test (ctest mpi_data_parallel): the same training on 1, 2 and 4
# ranks ends with the same checkpoint (every tensor and field but wall times: nnstate diff), and
# runs killed on one rank (SIGKILL by progress, after 8 batches) resume on another rank count
# (2 -> 4 and 4 -> 1) and end identical too. Loopback only (shared memory); 4 ranks
# oversubscribe the 2 cores. Usage: run_mpi_tests.sh PROGRAM NNSTATE_TOOL WORK_DIR
set -euo pipefail
program=$1 tool=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
# Loopback only: shared memory between the ranks of this machine, no network interfaces.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
run() {
  local np=$1
  shift
  mpirun -np "$np" --oversubscribe "$program" "$@"
}
same() { "$tool" diff "$1" "$2" || { echo "FAIL: $1 and $2 differ" >&2; exit 1; }; }

for np in 1 2 4; do run "$np" "$work/np$np" --final "$work/final$np.nnst"; done
same "$work/final1.nnst" "$work/final2.nnst"
same "$work/final1.nnst" "$work/final4.nnst"

for pair in "2 4" "4 1"; do
  set -- $pair
  killed=$work/killed$1to$2
  if run "$1" "$killed" --kill-at-step 8 >"$killed.log" 2>&1; then
    echo "FAIL: the run on $1 ranks was not killed" >&2
    exit 1
  fi
  ls "$killed"/ckpt-*.nnst >/dev/null || { echo "FAIL: no checkpoint before the kill" >&2; exit 1; }
  run "$2" "$killed" --resume --final "$killed/final.nnst"
  same "$work/final1.nnst" "$killed/final.nnst"
done
echo "mpi_data_parallel: 1, 2 and 4 ranks and the resumed runs ended identical"
