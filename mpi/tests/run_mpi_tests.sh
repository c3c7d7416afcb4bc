#!/usr/bin/env bash
# The MPI component's end-to-end test (ctest mpi_data_parallel): the same training on 1, 2 and 4
# ranks ends with the same checkpoint (every tensor and field but wall times: nnstate diff), and
# runs killed on one rank (SIGKILL by progress, after 8 batches) resume on another rank count
# (2 -> 4 and 4 -> 1) and end identical too. With BatchNorm per rank, a run on 2 ranks differs
# from those, and one killed and resumed on 2 ranks ends as it. Loopback only (shared memory);
# 4 ranks oversubscribe the 2 cores. Usage: run_mpi_tests.sh PROGRAM NNSTATE_TOOL WORK_DIR
set -euo pipefail
program=$1 tool=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
source "$(dirname "${BASH_SOURCE[0]}")/loopback_env.sh"
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

# BatchNorm per rank: rank 0 checkpoints the state every rank holds, so a run resumed on the same
# rank count continues exactly; it is not the synchronised run.
run 2 "$work/per_rank" --per-rank --final "$work/per_rank.nnst"
if "$tool" diff "$work/final2.nnst" "$work/per_rank.nnst" >/dev/null; then
  echo "FAIL: BatchNorm per rank on 2 ranks gave the synchronised result" >&2
  exit 1
fi
killed=$work/killed_per_rank
if run 2 "$killed" --per-rank --kill-at-step 8 >"$killed.log" 2>&1; then
  echo "FAIL: the per-rank run was not killed" >&2
  exit 1
fi
run 2 "$killed" --per-rank --resume --final "$killed/final.nnst"
same "$work/per_rank.nnst" "$killed/final.nnst"
echo "mpi_data_parallel: 1, 2 and 4 ranks and the resumed runs ended identical (per rank too)"
