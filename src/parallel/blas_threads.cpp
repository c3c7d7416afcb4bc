#include "parallel/blas_threads.h"

#include <cblas.h>

namespace nnstate {

BlasThreadsScope::BlasThreadsScope(int threads) : saved_(openblas_get_num_threads()) {
  if (saved_ != threads) openblas_set_num_threads(threads);
}

BlasThreadsScope::~BlasThreadsScope() {
  if (openblas_get_num_threads() != saved_) openblas_set_num_threads(saved_);
}

int blas_threads() {
  return openblas_get_num_threads();
}

}  // namespace nnstate
