// A layer's own split of the batch over threads: the batch is cut into chunks, the chunks into
// contiguous runs (one per slot), and each slot runs on one thread with single-threaded BLAS.
// Which thread runs a slot never changes a result (a slot writes only its own memory), so a
// layer's bits depend on the batch size, the chunk budget and the thread count only.
#pragma once

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

template <class F>
void run_slots_of(int64_t slots, F &&f) {
  FunctionJob<std::remove_reference_t<F>> job(f);
  run_slots(slots, job);
}

}  // namespace nnstate
