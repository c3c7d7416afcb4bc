// OpenBLAS's thread count, set for the span of a scope: chunked training runs each chunk's
// GEMMs single-threaded on its own threads (OpenBLAS's threads spin under contention, and the
// chunks already fill the cores).
#pragma once

namespace nnstate {

class BlasThreadsScope {
 public:
  explicit BlasThreadsScope(int threads);
  ~BlasThreadsScope();
  BlasThreadsScope(const BlasThreadsScope &) = delete;
  BlasThreadsScope &operator=(const BlasThreadsScope &) = delete;

 private:
  int saved_;
};

// OpenBLAS's current thread count.
int blas_threads();

}  // namespace nnstate
