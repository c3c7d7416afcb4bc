#include "util/memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <new>

#include "util/error.h"

namespace nnstate {
namespace {

// The cgroup v2 limit of this process's group ("max" or unreadable: no limit).
uint64_t cgroup_limit() {
  uint64_t limit = UINT64_MAX;
  if (FILE *f = std::fopen("/sys/fs/cgroup/memory.max", "re")) {
    unsigned long long value = 0;
    if (std::fscanf(f, "%llu", &value) == 1 && value > 0) limit = value;
    std::fclose(f);
  }
  return limit;
}

uint64_t physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return UINT64_MAX;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
}

}  // namespace

size_t checked_bytes(int64_t count, size_t element_size, const char *what) {
  size_t bytes = 0;
  if (count < 0 || __builtin_mul_overflow(static_cast<uint64_t>(count), element_size, &bytes)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(what) + ": " + std::to_string(count) +
                                           " elements of " + std::to_string(element_size) +
                                           " bytes do not fit in a 64-bit byte count");
  }
  return bytes;
}

size_t checked_sum(size_t a, size_t b, const char *what) {
  size_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(what) + ": " + std::to_string(a) + " + " +
                                           std::to_string(b) +
                                           " bytes do not fit in a 64-bit byte count");
  }
  return sum;
}

uint64_t memory_limit_bytes() {
  static const uint64_t limit = [] {
    const uint64_t physical = physical_memory(), group = cgroup_limit();
    return group < physical ? group : physical;
  }();
  return limit;
}

void check_fits_in_memory(uint64_t bytes, const char *what) {
  const uint64_t limit = memory_limit_bytes();
  if (bytes > limit) {
    fail(NNSTATE_ERR_OUT_OF_MEMORY, std::string(what) + " needs " + std::to_string(bytes) +
                                        " bytes, more than this machine's memory (" +
                                        std::to_string(limit) + " bytes)");
  }
}

void *aligned_allocate(size_t bytes, size_t alignment, const char *what) {
  if (bytes > SIZE_MAX - (alignment - 1)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(what) + ": " + std::to_string(bytes) +
                                           " bytes cannot be allocated (rounding up to " +
                                           std::to_string(alignment) + " bytes overflows)");
  }
  check_fits_in_memory(bytes, what);
  return ::operator new(bytes > 0 ? bytes : 1, std::align_val_t(alignment));
}

void aligned_free(void *memory, size_t alignment) noexcept {
  ::operator delete(memory, std::align_val_t(alignment));
}

void *huge_pages_allocate(size_t bytes, const char *what) {
  if (bytes == 0 || bytes % kHugePageBytes != 0 || bytes > SIZE_MAX - kHugePageBytes) {
    fail(NNSTATE_ERR_INTERNAL, std::string(what) + ": " + std::to_string(bytes) +
                                   " bytes is not a whole number of huge pages");
  }
  check_fits_in_memory(bytes, what);
  // One huge page more than asked, so that an aligned range lies inside; the ends are returned.
  const size_t mapped = bytes + kHugePageBytes;
  void *memory =
      ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    fail(NNSTATE_ERR_OUT_OF_MEMORY,
         std::string(what) + ": cannot map " + std::to_string(bytes) + " bytes");
  }
  const auto start = reinterpret_cast<uintptr_t>(memory);
  const uintptr_t aligned = (start + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (aligned > start) ::munmap(memory, aligned - start);
  const uintptr_t end = start + mapped, used_end = aligned + bytes;
  if (end > used_end) ::munmap(reinterpret_cast<void *>(used_end), end - used_end);
  // A failure only costs speed (4 KiB pages).
  ::madvise(reinterpret_cast<void *>(aligned), bytes, MADV_HUGEPAGE);
  return reinterpret_cast<void *>(aligned);
}

void huge_pages_free(void *memory, size_t bytes) noexcept {
  if (memory) ::munmap(memory, bytes);
}

}  // namespace nnstate
