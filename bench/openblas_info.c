/*
 * Prints what the OpenBLAS that libnnstate links against picked under the current environment:
 * its core type (the kernel set, after OPENBLAS_CORETYPE), thread count and build config.
 * Used by run_mlp_bench.sh; links only OpenBLAS, not libnnstate.
 */
#include <cblas.h>
#include <stdio.h>

int main(void) {
  printf("openblas_corename=%s\n", openblas_get_corename());
  printf("openblas_num_threads=%d\n", openblas_get_num_threads());
  printf("openblas_num_procs=%d\n", openblas_get_num_procs());
  printf("openblas_parallel=%d\n", openblas_get_parallel());
  printf("openblas_config=%s\n", openblas_get_config());
  return 0;
}
