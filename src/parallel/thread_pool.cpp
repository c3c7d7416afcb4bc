#include "parallel/thread_pool.h"

#include "util/error.h"

namespace nnstate {
namespace {

thread_local bool inside_task = false;
thread_local int64_t worker_index = 0;

// Marks the current thread as running tasks for its lifetime (restoring an outer mark).
class TaskMark {
 public:
  TaskMark() : saved_(inside_task) { inside_task = true; }
  ~TaskMark() { inside_task = saved_; }
  TaskMark(const TaskMark &) = delete;
  TaskMark &operator=(const TaskMark &) = delete;

 private:
  bool saved_;
};

}  // namespace

bool ThreadPool::in_task() {
  return inside_task;
}

int64_t ThreadPool::worker() {
  return worker_index;
}

void ThreadPool::run_inline(int64_t count, ParallelJob &job) {
  TaskMark mark;
  const int64_t outer = worker_index;
  worker_index = 0;
  for (int64_t i = 0; i < count; ++i) job.run(i);
  worker_index = outer;
}

ThreadPool::ThreadPool(int64_t threads) {
  if (threads < 1 || threads > 1024) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "a thread pool takes 1 to 1024 threads, got " + std::to_string(threads));
  }
  workers_.reserve(static_cast<size_t>(threads - 1));
  try {
    for (int64_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread &t : workers_) t.join();
    throw;
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &t : workers_) t.join();
}

void ThreadPool::take_tasks() {
  TaskMark mark;
  for (;;) {
    const int64_t task = next_.fetch_add(1);
    if (task >= count_) return;
    try {
      job_->run(task);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      next_.store(count_);  // start no further task
    }
  }
}

// A worker joins a job only while tasks are left, so run() never waits for a thread that the
// system has not scheduled since the job started.
void ThreadPool::worker_loop(int64_t index) {
  worker_index = index;
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (next_.load() >= count_) continue;
      ++busy_;
    }
    take_tasks();
    std::lock_guard<std::mutex> lock(mutex_);
    if (--busy_ == 0) done_.notify_one();
  }
}

void ThreadPool::run(int64_t count, ParallelJob &job) {
  if (count <= 0) return;
  if (count == 1 || workers_.empty()) {
    run_inline(count, job);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &job;
    count_ = count;
    next_.store(0);
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  {
    // The caller is worker 0 of this pool, even when it is another pool's worker.
    const int64_t outer = worker_index;
    worker_index = 0;
    take_tasks();
    worker_index = outer;
  }
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busy_ == 0; });
    job_ = nullptr;
    error = error_;
    error_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace nnstate
