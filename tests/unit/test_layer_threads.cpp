// The element-wise and per-plane layers (BatchNorm, activations, MaxPool2d) split their work
// over the library's threads with parallel/batch_split.h's for_each_range: the ranges cover the
// work once, small work starts no thread, and every output, gradient and running statistic has
// the same bits at 1, 2 and 3 threads. And ThreadPool::worker, which per-thread workspaces use.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "layers/factory.h"
#include "parallel/batch_split.h"
#include "parallel/thread_pool.h"
#include "random/rng.h"
#include "test_layers_util.h"
#include "user_blas_threads.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

std::vector<float> values(const Tensor &t) {
  return std::vector<float>(t.data(), t.data() + t.numel());
}

// The bits of a forward and a backward pass in training mode, then every state tensor (BatchNorm's
// running statistics) and gradient the layer holds.
std::vector<std::vector<float>> run(const LayerConfig &config, int threads) {
  UserBlasThreads user(threads);
  REQUIRE(layer_threads() == threads);
  Rng rng(5, RngStream::init);
  std::unique_ptr<Layer> layer = make_layer(config, &rng);
  // 16 x 8 planes of 30 x 30: 115200 values, 3 ranges at 3 threads.
  Tensor x(Shape{16, 8, 30, 30});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = rng.uniform(-2.0f, 3.0f);
  Tensor y = run_forward(*layer, x, true);
  Tensor dy(y.shape()), dx(x.shape());
  for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = rng.uniform(-1.0f, 1.0f);
  layer->backward(x, y, dy, &dx);
  std::vector<std::vector<float>> bits = {values(y), values(dx)};
  TensorCollector state;
  layer->visit_tensors("", state);
  for (size_t i = 0; i < state.values.size(); ++i) {
    bits.push_back(values(*state.values[i]));
    if (state.grads[i]) bits.push_back(values(*state.grads[i]));
  }
  return bits;
}

LayerConfig batch_norm2d() {
  LayerConfig c(LayerKind::batch_norm2d);
  c.as<BatchNormConfig>().num_features = 8;
  return c;
}

LayerConfig max_pool(Size2 kernel, Size2 stride) {
  LayerConfig c(LayerKind::max_pool2d);
  c.as<MaxPool2dConfig>().kernel_size = kernel;
  c.as<MaxPool2dConfig>().stride = stride;
  return c;
}

bool same_bits(const std::vector<std::vector<float>> &a, const std::vector<std::vector<float>> &b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    if (std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("for_each_range covers the work once, in ranges of at least the minimum size") {
  UserBlasThreads user(3);
  for (int64_t count : {0, 1, 5, 99, 100, 301, 1000}) {
    CAPTURE(count);
    std::vector<int> hits(static_cast<size_t>(count), 0);
    std::vector<int64_t> sizes;
    std::mutex mutex;
    for_each_range(count, 33, [&](int64_t begin, int64_t end) {
      std::lock_guard<std::mutex> lock(mutex);
      sizes.push_back(end - begin);
      for (int64_t i = begin; i < end; ++i) ++hits[static_cast<size_t>(i)];
    });
    for (int h : hits) CHECK(h == 1);
    // Ranges of at least 33 items, at most kRangesPerThread per thread.
    const int64_t most = 3 * kRangesPerThread;
    CHECK(sizes.size() ==
          static_cast<size_t>(count == 0 ? 0 : std::min(most, std::max<int64_t>(1, count / 33))));
    for (int64_t size : sizes) CHECK(size >= std::min<int64_t>(count, 33));
  }
  CHECK(min_items_for(1) == kMinItemsPerThread);
  CHECK(min_items_for(kMinItemsPerThread * 2) == 1);
}

TEST_CASE("BatchNorm2d, ReLU, GELU and MaxPool2d give the same bits at 1, 2 and 3 threads") {
  const std::vector<std::pair<const char *, LayerConfig>> layers = {
      {"BatchNorm2d", batch_norm2d()},
      {"ReLU", LayerConfig(LayerKind::relu)},
      {"GELU", LayerConfig(LayerKind::gelu)},
      {"MaxPool2d 2x2", max_pool({2, 2}, {2, 2})},
      {"MaxPool2d 3x3 stride 2", max_pool({3, 3}, {2, 2})},
  };
  for (const auto &layer : layers) {
    const char *name = layer.first;  // not a binding: CAPTURE's lambda takes variables only
    const LayerConfig &config = layer.second;
    CAPTURE(name);
    const auto one = run(config, 1);
    CHECK(same_bits(run(config, 2), one));
    CHECK(same_bits(run(config, 3), one));
  }
}

TEST_CASE("ThreadPool::worker numbers the threads of the pool running a task from 0") {
  CHECK(ThreadPool::worker() == 0);
  ThreadPool pool(3);
  std::mutex mutex;
  std::vector<int64_t> seen;
  pool.for_each(64, [&](int64_t) {
    const int64_t w = ThreadPool::worker();
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(w);
  });
  REQUIRE(seen.size() == 64);
  for (int64_t w : seen) CHECK((w >= 0 && w < 3));
  // Tasks run inline from another pool's task are numbered 0, and the outer number comes back.
  std::vector<int64_t> inner_seen(8, -1), outer_after(8, -1), outer_before(8, -1);
  pool.for_each(8, [&](int64_t t) {
    outer_before[t] = ThreadPool::worker();
    auto inner_task = [&, t](int64_t) { inner_seen[t] = ThreadPool::worker(); };
    FunctionJob<decltype(inner_task)> job(inner_task);
    ThreadPool::run_inline(1, job);
    outer_after[t] = ThreadPool::worker();
  });
  for (int64_t t = 0; t < 8; ++t) {
    CHECK(inner_seen[t] == 0);
    CHECK(outer_after[t] == outer_before[t]);
  }
}
