#!/usr/bin/env bash
# ctest mpi_batchnorm: BatchNorm per rank and synchronised (mpi_batchnorm.c) on 1, 2 and 4
# ranks. Loopback only, as run_mpi_tests.sh. Usage: run_mpi_batchnorm.sh PROGRAM
set -euo pipefail
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
for np in 1 2 4; do mpirun -np "$np" --oversubscribe "$1"; done
