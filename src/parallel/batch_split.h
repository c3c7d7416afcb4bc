// A layer's own split of the batch over threads: the batch is cut into chunks, the chunks into
// contiguous runs (one per slot), and each slot runs on one thread with single-threaded BLAS.
// Which thread runs a slot never changes a result (a slot writes only its own memory), so a
// layer's bits depend on the batch size, the chunk budget and the thread count only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "parallel/thread_pool.h"

namespace nnstate {

struct BatchSplit {
  int64_t n = 0;       // samples
  int64_t chunk = 1;   // samples per chunk (the last chunk may have fewer)
  int64_t chunks = 0;  // ceil(n / chunk)
  int64_t slots = 1;   // runs of chunks, at most one per thread

  int64_t start(int64_t k) const { return k * chunk; }
  int64_t count(int64_t k) const { return n - k * chunk < chunk ? n - k * chunk : chunk; }
  // Slot s owns chunks [first_chunk(s), first_chunk(s + 1)).
  int64_t first_chunk(int64_t s) const { return s * chunks / slots; }
  // Slot s owns samples [first_sample(s), first_sample(s + 1)).
  int64_t first_sample(int64_t s) const { return std::min(n, start(first_chunk(s))); }
};

// One thread: chunks of max_chunk and a remainder (the layout every earlier release used, so
// single-threaded results keep their bits). More threads: at least one chunk per thread, the
// count a multiple of the threads, all of (nearly) equal size so the slots finish together.
BatchSplit split_batch(int64_t n, int64_t max_chunk, int64_t threads);

// Threads a layer may use for its own batch split: 1 inside a ThreadPool task (the
// deterministic mode's chunks, or another layer's slots) or a BlasThreadsScope on this thread
// (the deterministic mode's phases), else OpenBLAS's count outside every scope (so another
// thread's single-threaded phase does not change this layer's split, and its bits).
int64_t layer_threads();

// Runs job.run(s) for s in [0, slots) on a process-wide pool whose idle threads block, with
// OpenBLAS single-threaded meanwhile. When another caller is using the pool the slots run one
// after another on this thread instead: the same results, only slower.
void run_slots(int64_t slots, ParallelJob &job);
// The same for `tasks` tasks on at most `threads` threads (tasks >= threads: the threads take
// the tasks as they come free).
void run_tasks(int64_t tasks, int64_t threads, ParallelJob &job);

template <class F>
void run_slots_of(int64_t slots, F &&f) {
  FunctionJob<std::remove_reference_t<F>> job(f);
  run_slots(slots, job);
}

// Items per range below which for_each_range does not start a thread: waking one costs about
// as much as a pass over this many floats.
constexpr int64_t kMinItemsPerThread = 32768;

// Ranges per thread in for_each_range: threads take ranges as they come free, so a thread the
// system does not schedule for a while leaves only a small range for the others to wait on.
constexpr int64_t kRangesPerThread = 4;

// Runs f(begin, end) over [0, count) cut into contiguous ranges of at least min_per_range
// items, up to kRangesPerThread per layer thread (one range for small work). Only for work
// whose result does not depend on the cut: element-wise maps, or per-item results that the
// caller combines in item order afterwards. Then the bits do not depend on the thread count.
template <class F>
void for_each_range(int64_t count, int64_t min_per_range, F &&f) {
  const int64_t threads = layer_threads();
  const int64_t ranges = threads <= 1 ? 1
                                      : std::min(threads * kRangesPerThread,
                                                 count / std::max<int64_t>(1, min_per_range));
  if (ranges <= 1) {
    if (count > 0) f(int64_t{0}, count);
    return;
  }
  auto range = [&](int64_t s) { f(s * count / ranges, (s + 1) * count / ranges); };
  FunctionJob<decltype(range)> job(range);
  run_tasks(ranges, std::min(threads, ranges), job);
}

// for_each_range's min_per_range for items of item_size floats each.
inline int64_t min_items_for(int64_t item_size) {
  return std::max<int64_t>(1, kMinItemsPerThread / std::max<int64_t>(1, item_size));
}

}  // namespace nnstate
