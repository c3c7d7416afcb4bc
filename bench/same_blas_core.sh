# Sourced by the run_*_bench.sh scripts after $build is set: PyTorch's GEMMs run on the OpenBLAS
# core libnnstate runs on. Where OpenBLAS fell back to Prescott on a CPU it does not know,
# libnnstate selects the kernels the CPU supports (src/parallel/blas_core.h); PyTorch, loading
# the same OpenBLAS without that correction, gets them through OPENBLAS_CORETYPE. A core the
# caller set is kept.
if [[ -z ${OPENBLAS_CORETYPE-} ]]; then
  OPENBLAS_CORETYPE=$("$build/bench/openblas_info" | sed -n 's/^openblas_corename=//p')
  export OPENBLAS_CORETYPE
fi
