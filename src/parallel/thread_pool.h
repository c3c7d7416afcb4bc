// A library-owned pool of threads for chunked training. Idle threads block on a condition
// variable (they never spin), so a loaded machine loses only the time a thread is not
// scheduled. Tasks are taken from a shared counter: which thread runs a task never changes a
// result, because every task writes only its own chunk's memory.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace nnstate {

// A set of independent tasks, numbered 0..count-1.
class ParallelJob {
 public:
  virtual ~ParallelJob() = default;
  virtual void run(int64_t task) = 0;
};

// A callable taking the task number as a ParallelJob, without allocating.
template <class F>
class FunctionJob final : public ParallelJob {
 public:
  explicit FunctionJob(F &f) : f_(f) {}
  void run(int64_t task) override { f_(task); }

 private:
  F &f_;
};

class ThreadPool {
 public:
  // `threads` >= 1 runs tasks on the caller and threads - 1 pool threads.
  explicit ThreadPool(int64_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int64_t threads() const { return static_cast<int64_t>(workers_.size()) + 1; }
  // Runs job.run(i) for every i in [0, count) and returns when all are done; rethrows the first
  // exception a task threw (the others still run to completion or are not started).
  void run(int64_t count, ParallelJob &job);
  // Runs job.run(i) for every i in [0, count) on the calling thread, marked as inside a task.
  static void run_inline(int64_t count, ParallelJob &job);
  // True on a thread while it runs a task of some pool (or of run_inline): code there must not
  // start threads of its own.
  static bool in_task();
  // The calling thread's number in the pool whose task it runs: 0 for the thread that called
  // run() (and outside any task), 1 .. threads() - 1 for the pool's own. Lets tasks use
  // per-thread workspaces that the pool's owner allocated up front.
  static int64_t worker();
  // The same for a callable taking the task number (no allocation).
  template <class F>
  void for_each(int64_t count, F &&f) {
    FunctionJob<std::remove_reference_t<F>> job(f);
    run(count, job);
  }

 private:
  void worker_loop(int64_t index);
  void take_tasks();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  ParallelJob *job_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
  uint64_t generation_ = 0;  // one per run(), so a worker takes each job once
  int64_t busy_ = 0;         // workers inside the current job
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace nnstate
