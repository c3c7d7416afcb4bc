/*
 * Prints what the OpenBLAS that libnnstate links against runs with once libnnstate is loaded:
 * its core type (the kernel set: OPENBLAS_CORETYPE, OpenBLAS's detection, or libnnstate's
 * correction of a fallback, src/parallel/blas_core.h), thread count and build config.
 * The run_*_bench.sh scripts give PyTorch that core too.
 */
#include <cblas.h>
#include <stdio.h>

#include "nnstate/nnstate.h"

int main(void) {
  printf("libnnstate=%s\n", nnstate_version_string()); /* also keeps the library linked */
  printf("openblas_corename=%s\n", openblas_get_corename());
  printf("openblas_num_threads=%d\n", openblas_get_num_threads());
  printf("openblas_num_procs=%d\n", openblas_get_num_procs());
  printf("openblas_parallel=%d\n", openblas_get_parallel());
  printf("openblas_config=%s\n", openblas_get_config());
  return 0;
}
