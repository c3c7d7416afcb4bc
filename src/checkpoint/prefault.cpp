#include "checkpoint/prefault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <system_error>

namespace nnstate::checkpoint {
namespace {

// Below this a load is over before a thread would have started.
constexpr size_t kMinBytes = size_t{16} << 20;
// Populated per call: one transparent huge page, so the helper notices the reader passing it
// soon and never faults what the reader faults already.
constexpr size_t kStep = size_t{2} << 20;

}  // namespace

Prefaulter::Prefaulter(std::vector<Range> ranges) : ranges_(std::move(ranges)) {
#ifdef MADV_POPULATE_WRITE
  size_t total = 0;
  for (const Range &r : ranges_) total += r.size;
  if (total < kMinBytes || std::thread::hardware_concurrency() < 2) return;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error &) {
    // No helper: the reader faults the pages in itself, only slower.
  }
#endif
}

Prefaulter::~Prefaulter() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

void Prefaulter::run() {
#ifdef MADV_POPULATE_WRITE
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  size_t position = 0;  // bytes of the ranges before `r`
  for (const Range &r : ranges_) {
    for (size_t done = 0; done < r.size; done += kStep) {
      if (stop_.load(std::memory_order_relaxed)) return;
      const size_t n = std::min(kStep, r.size - done);
      // Already filled by the reader: nothing left to gain in this step.
      if (position + done + n <= filled_.load(std::memory_order_relaxed)) continue;
      // Outward to whole pages: every page the range touches is mapped, and populating a page
      // never changes its contents (those of neighbouring objects included).
      const uintptr_t from = reinterpret_cast<uintptr_t>(r.begin + done) / page * page;
      const uintptr_t to =
          (reinterpret_cast<uintptr_t>(r.begin + done + n) + page - 1) / page * page;
      // A failure (an old kernel, no memory) only costs speed: the reader faults them itself.
      if (::madvise(reinterpret_cast<void *>(from), to - from, MADV_POPULATE_WRITE) != 0) return;
    }
    position += r.size;
  }
#endif
}

}  // namespace nnstate::checkpoint
