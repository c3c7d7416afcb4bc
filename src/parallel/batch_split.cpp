#include "parallel/batch_split.h"

#include <algorithm>
#include <memory>
#include <mutex>

#include "parallel/blas_threads.h"

namespace nnstate {

BatchSplit split_batch(int64_t n, int64_t max_chunk, int64_t threads) {
  BatchSplit s;
  s.n = n;
  if (n <= 0) return s;
  max_chunk = std::max<int64_t>(1, std::min(max_chunk, n));
  int64_t chunks = (n + max_chunk - 1) / max_chunk;
  if (threads <= 1) {
    s.chunk = max_chunk;
  } else {
    chunks = std::min(n, (chunks + threads - 1) / threads * threads);
    s.chunk = (n + chunks - 1) / chunks;
  }
  s.chunks = (n + s.chunk - 1) / s.chunk;
  s.slots = std::max<int64_t>(1, std::min(threads, s.chunks));
  return s;
}

int64_t layer_threads() {
  if (ThreadPool::in_task() || in_blas_threads_scope()) return 1;
  return std::max(1, configured_blas_threads());
}

namespace {

// Built on first use with as many threads as asked for (grown, never shrunk); one user at a
// time.
struct SharedPool {
  std::mutex mutex;
  std::unique_ptr<ThreadPool> pool;
};

SharedPool &shared_pool() {
  static SharedPool shared;
  return shared;
}

}  // namespace

void run_slots(int64_t slots, ParallelJob &job) {
  run_tasks(slots, slots, job);
}

void run_tasks(int64_t tasks, int64_t threads, ParallelJob &job) {
  if (tasks <= 1 || threads <= 1) {
    for (int64_t t = 0; t < tasks; ++t) job.run(t);
    return;
  }
  SharedPool &shared = shared_pool();
  std::unique_lock<std::mutex> lock(shared.mutex, std::try_to_lock);
  BlasThreadsScope single(1);
  if (!lock.owns_lock()) {
    ThreadPool::run_inline(tasks, job);
    return;
  }
  if (!shared.pool || shared.pool->threads() < threads) {
    shared.pool.reset();
    shared.pool = std::make_unique<ThreadPool>(threads);
  }
  shared.pool->run(tasks, job);
}

}  // namespace nnstate
