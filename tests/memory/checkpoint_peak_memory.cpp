// Validating a checkpoint must never allocate from the file's numbers beyond what the file
// holds: the peak heap of checking hostile (and large valid) files stays within a small multiple
// of their size. Its own program because it replaces the global operator new to track the bytes
// in use; the measure is the same with and without ASan (which makes RLIMIT_AS useless).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "checkpoint_craft.h"
#include "test_checkpoint_util.h"
#include "util/error.h"

namespace {

std::atomic<int64_t> in_use{0}, peak{0};

void *tracked_alloc(std::size_t size, std::size_t alignment) {
  void *p = nullptr;
  if (size == 0) size = 1;
  if (alignment <= alignof(std::max_align_t)) {
    p = std::malloc(size);
  } else if (posix_memalign(&p, alignment, size) != 0) {
    p = nullptr;
  }
  if (!p) throw std::bad_alloc();
  const int64_t now = in_use.fetch_add(static_cast<int64_t>(malloc_usable_size(p))) +
                      static_cast<int64_t>(malloc_usable_size(p));
  int64_t seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
  return p;
}

void tracked_free(void *p) {
  if (!p) return;
  in_use.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)));
  std::free(p);
}

}  // namespace

void *operator new(std::size_t size) {
  return tracked_alloc(size, 0);
}
void *operator new[](std::size_t size) {
  return tracked_alloc(size, 0);
}
void *operator new(std::size_t size, std::align_val_t a) {
  return tracked_alloc(size, static_cast<std::size_t>(a));
}
void *operator new[](std::size_t size, std::align_val_t a) {
  return tracked_alloc(size, static_cast<std::size_t>(a));
}
void operator delete(void *p) noexcept {
  tracked_free(p);
}
void operator delete[](void *p) noexcept {
  tracked_free(p);
}
void operator delete(void *p, std::size_t) noexcept {
  tracked_free(p);
}
void operator delete[](void *p, std::size_t) noexcept {
  tracked_free(p);
}
void operator delete(void *p, std::align_val_t) noexcept {
  tracked_free(p);
}
void operator delete[](void *p, std::align_val_t) noexcept {
  tracked_free(p);
}
void operator delete(void *p, std::size_t, std::align_val_t) noexcept {
  tracked_free(p);
}
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept {
  tracked_free(p);
}

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

// Heap growth above the level at the start while `f` runs.
template <typename F>
int64_t peak_growth(F f) {
  const int64_t start = in_use.load();
  peak.store(start);
  f();
  return peak.load() - start;
}

// Checks `bytes` as verify does and returns the peak heap growth; the status is `expected`.
int64_t validation_peak(const std::vector<unsigned char> &bytes, nnstate_status expected) {
  nnstate_status status = NNSTATE_OK;
  const int64_t growth = peak_growth([&] {
    try {
      MemorySource source(bytes.data(), bytes.size(), false, "<measured>");
      verify_data(source, read_contents(source));
    } catch (const Error &e) {
      status = e.status();
    }
  });
  CHECK(status == expected);
  return growth;
}

// What validation may take: a few copies of the file (the manifest in aligned memory, its
// plain-value form) and a fixed amount for messages and bookkeeping.
int64_t allowance(size_t file_size) {
  return 16 * static_cast<int64_t>(file_size) + (int64_t{1} << 20);
}

}  // namespace

TEST_CASE("peak memory: hostile layer sizes are refused within a small multiple of the file") {
  std::vector<std::vector<unsigned char>> files;
  files.push_back(
      ckpt_test::read_file(std::string(NNSTATE_GOLDEN_DIR) + "/repro/conv_kernel_2e25_high.nnst"));
  REQUIRE(!files.back().empty());
  const std::vector<std::pair<std::string, Shape>> small = {{"weight", Shape{1, 1, 3, 3}},
                                                            {"bias", Shape{1}}};
  // Old validators built these: 1.5 GiB of weights, and 4 GiB for a shape-only stand-in.
  files.push_back(ckpt_craft::save_bytes(
      *ckpt_craft::lying_model(ckpt_craft::conv(1, {int64_t{1} << 27, 3}, 1), small)));
  files.push_back(ckpt_craft::save_bytes(*ckpt_craft::lying_model(
      ckpt_craft::conv(int64_t{1} << 30, {1, 1}, int64_t{1} << 30), small)));
  LayerConfig bn(LayerKind::batch_norm1d);  // no tensors, 36 MiB of workspace each
  auto &bn_o = bn.as<BatchNormConfig>();
  bn_o.num_features = 1 << 20;
  bn_o.affine = bn_o.track_running_stats = false;
  files.push_back(ckpt_craft::save_bytes(*ckpt_craft::lying_model(bn, {}, 100)));
  LayerConfig norm(LayerKind::layer_norm);
  auto &o = norm.as<LayerNormConfig>();
  o.normalized_shape = Shape{1 << 15, 1 << 15};
  files.push_back(ckpt_craft::save_bytes(*ckpt_craft::lying_model(norm, {})));
  for (const auto &bytes : files) {
    const int64_t growth = validation_peak(bytes, NNSTATE_ERR_CORRUPT);
    INFO("file of " << bytes.size() << " bytes, peak heap growth " << growth);
    CHECK(growth <= allowance(bytes.size()));
  }
}

TEST_CASE("peak memory: large valid files validate within a small multiple of their size") {
  Model deep(1);
  LayerConfig linear(LayerKind::linear);
  auto &linear_o = linear.as<LinearConfig>();
  linear_o.in_features = linear_o.out_features = 2;
  deep.add_layer(linear);
  LayerConfig relu(LayerKind::relu);
  for (int i = 0; i < 20000; ++i) deep.add_layer(relu);
  Model wide(2);
  for (int i = 0; i < 5000; ++i) deep.add_layer(relu), wide.add_layer(linear);
  for (Model *m : {&deep, &wide}) {
    const auto bytes = ckpt_craft::save_bytes(*m);
    const int64_t growth = validation_peak(bytes, NNSTATE_OK);
    INFO("file of " << bytes.size() << " bytes, peak heap growth " << growth);
    CHECK(growth <= allowance(bytes.size()));
  }
}
