#!/usr/bin/env bash
# Data-parallel scaling over MPI on this machine: mpi_scaling (the MLP 784-512-256-10 in the
# deterministic mode) on 1, 2 and 4 ranks (4 oversubscribed on a 2-core machine), loopback
# only. Prints samples/s per rank count (best of REPEATS runs), the ratio to 1 rank, the bytes
# one rank sends per step (its allgather blocks and broadcasts) and in how many collectives,
# and whether every rank count ended with the same checkpoint (nnstate diff), which the
# deterministic mode promises.
#
# Usage: mpi/bench/run_mpi_bench.sh [build-dir (default: build)]; STEPS (60), RANKS ("1 2 4"),
# REPEATS (1).
set -euo pipefail
build=${1:-build}
steps=${STEPS:-60}
ranks_list=${RANKS:-1 2 4}
repeats=${REPEATS:-1}
bench=$build/mpi/bench/mpi_scaling
cli=$build/tools/nnstate
[[ -x $bench ]] || { echo "run_mpi_bench.sh: $bench not found (build with Open MPI)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One OpenBLAS thread per rank (the library's chunks run single-threaded BLAS anyway).
export OPENBLAS_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # containers run as root
# Loopback only: shared memory (single-copy where the kernel allows), no binding (ranks may outnumber
# cores).
export OMPI_MCA_btl=self,vader
export OMPI_MCA_hwloc_base_binding_policy=none
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
base=""
for r in $ranks_list; do
  rate=0
  for ((i = 0; i < repeats; ++i)); do
    line=$(mpirun --oversubscribe -np "$r" "$bench" "$steps" "$work/r$r.nnst" |
           grep '^RESULT')
    this=$(sed 's/.*samples_per_second=\([0-9]*\).*/\1/' <<<"$line")
    if ((this > rate)); then rate=$this; fi
  done
  sent=$(sed 's/.*bytes_per_step=\([0-9]*\).*/\1/' <<<"$line")
  calls=$(sed 's/.*collectives_per_step=\([0-9]*\).*/\1/' <<<"$line")
  [[ -z $base ]] && base=$rate
  same="-"
  if [[ $r != "$(cut -d' ' -f1 <<<"$ranks_list")" ]]; then
    first=$(cut -d' ' -f1 <<<"$ranks_list")
    if "$cli" diff "$work/r$first.nnst" "$work/r$r.nnst" | grep -q '^identical'; then
      same=identical
    else
      same=DIFFERENT
    fi
  fi
  awk -v r="$r" -v rate="$rate" -v base="$base" -v same="$same" -v sent="$sent" \
      -v calls="$calls" 'BEGIN {
    printf "ranks %d: %8d samples/s  x%.2f of 1 rank  sent/rank/step %9d B in %d collectives" \
           "  weights vs first: %s\n", r, rate, rate / base, sent, calls, same }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
