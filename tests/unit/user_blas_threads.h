// OpenBLAS's thread count set as a user would set it (not a BlasThreadsScope, inside which
// layers stay single-threaded), restored at the end: how the layer-thread tests pick a count.
#pragma once

#include <cblas.h>

namespace nnstate::testing {

class UserBlasThreads {
 public:
  explicit UserBlasThreads(int threads) : saved_(openblas_get_num_threads()) {
    openblas_set_num_threads(threads);
  }
  ~UserBlasThreads() { openblas_set_num_threads(saved_); }
  UserBlasThreads(const UserBlasThreads &) = delete;
  UserBlasThreads &operator=(const UserBlasThreads &) = delete;

 private:
  int saved_;
};

}  // namespace nnstate::testing
