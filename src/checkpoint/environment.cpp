#include "checkpoint/environment.h"

#include <cblas.h>

namespace nnstate::checkpoint {

Environment current_environment() {
  Environment e;
  const char *core = openblas_get_corename();
  const char *config = openblas_get_config();
  e.blas_core_type = core ? core : "";
  e.blas_threads = openblas_get_num_threads();
  e.blas_config = config ? config : "";
  e.compiler = "gcc-compatible " __VERSION__;
#if defined(__x86_64__)
  e.cpu_arch = "x86_64";
#elif defined(__aarch64__)
  e.cpu_arch = "aarch64";
#else
  e.cpu_arch = "unknown";
#endif
  return e;
}

}  // namespace nnstate::checkpoint
