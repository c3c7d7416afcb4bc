#include "parallel/blas_threads.h"

#include <cblas.h>

#include <mutex>

namespace nnstate {
namespace {

std::mutex scopes_mutex;
int open_scopes = 0;         // on all threads
int outside_count = 0;       // OpenBLAS's count when the first open scope began
thread_local int depth = 0;  // scopes open on this thread

}  // namespace

BlasThreadsScope::BlasThreadsScope(int threads) {
  std::lock_guard<std::mutex> lock(scopes_mutex);
  saved_ = openblas_get_num_threads();
  if (open_scopes++ == 0) outside_count = saved_;
  ++depth;
  if (saved_ != threads) openblas_set_num_threads(threads);
}

BlasThreadsScope::~BlasThreadsScope() {
  std::lock_guard<std::mutex> lock(scopes_mutex);
  --depth;
  // The last scope restores the outside count; a scope nested on the same thread restores the
  // enclosing one's. A scope ending while another thread's is open leaves that one's setting.
  const int restore = --open_scopes == 0 ? outside_count : depth > 0 ? saved_ : 0;
  if (restore > 0 && openblas_get_num_threads() != restore) openblas_set_num_threads(restore);
}

int blas_threads() {
  return openblas_get_num_threads();
}

int configured_blas_threads() {
  std::lock_guard<std::mutex> lock(scopes_mutex);
  return open_scopes > 0 ? outside_count : openblas_get_num_threads();
}

bool in_blas_threads_scope() {
  return depth > 0;
}

}  // namespace nnstate
