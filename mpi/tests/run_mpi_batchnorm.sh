#!/usr/bin/env bash
# ctest mpi_batchnorm: BatchNorm per rank and synchronised (mpi_batchnorm.c) on 1, 2 and 4
# ranks. Loopback only, as run_mpi_tests.sh. Usage: run_mpi_batchnorm.sh PROGRAM
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/loopback_env.sh"
for np in 1 2 4; do mpirun -np "$np" --oversubscribe "$1"; done
