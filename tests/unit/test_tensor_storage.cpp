// Tensor storage: large tensors get whole huge pages from the kernel, which read as zero without
// being written, so that building a network (or loading one for inference) faults in only what
// is written. Measured in resident memory (/proc/self/status), never in time.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "tensor/tensor.h"

using namespace nnstate;

namespace {

// This process's resident anonymous memory in KiB (-1 when /proc is not readable).
long resident_anonymous_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::atol(line.c_str() + 8);
  }
  return -1;
}

constexpr int64_t kElements = int64_t{16} << 20;  // 64 MiB of floats
constexpr long kTensorKib = 64 * 1024;

}  // namespace

TEST_CASE("tensor storage: a large new tensor is zero, 2 MiB aligned and not yet resident") {
  const long before = resident_anonymous_kib();
  if (before < 0) {
    MESSAGE("no /proc/self/status: residency not checked");
    return;
  }
  Tensor t(Shape{kElements});
  const long built = resident_anonymous_kib();
  CHECK(reinterpret_cast<uintptr_t>(t.data()) % (size_t{2} << 20) == 0);
  // The zero-filling of old would have made all 64 MiB resident.
  CHECK(built - before < kTensorKib / 8);
  for (int64_t i = 0; i < kElements; i += 4096) CHECK(t[i] == 0.0f);
  CHECK(t[kElements - 1] == 0.0f);
  t.fill(1.5f);
  CHECK(resident_anonymous_kib() - before >= kTensorKib * 7 / 8);
}

TEST_CASE("tensor storage: copies, moves and regrowth of large tensors keep their values") {
  Tensor a(Shape{kElements / 4});
  for (int64_t i = 0; i < a.numel(); ++i) a[i] = static_cast<float>(i % 1000);
  Tensor b(a);
  CHECK(std::memcmp(a.data(), b.data(), a.byte_size()) == 0);
  Tensor c(std::move(b));
  CHECK(c[999] == 999.0f);
  c.resize(Shape{kElements});  // grows: new storage
  c[kElements - 1] = 2.0f;
  CHECK(c[kElements - 1] == 2.0f);
  c = a;  // shrinks within the capacity
  CHECK(c.numel() == a.numel());
  CHECK(c[1234] == 234.0f);
  Tensor small(Shape{3});
  CHECK(small[0] == 0.0f);
  CHECK(small[2] == 0.0f);
}
