// OpenBLAS's thread count, set for the span of a scope: chunked training runs each chunk's
// GEMMs single-threaded on its own threads (OpenBLAS's threads spin under contention, and the
// chunks already fill the cores). The count is process-wide, so scopes on several threads are
// counted: the count outside every scope is restored when the last one ends, and layers that
// size their own thread split read that count, not a neighbour's temporary 1.
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
// The count outside every BlasThreadsScope (the current count when none is open).
int configured_blas_threads();
// True while the calling thread is inside a BlasThreadsScope.
bool in_blas_threads_scope();

}  // namespace nnstate
