// Conv2d's own batch split over threads (parallel/batch_split.h): the split's layout, forward
// and input gradient bitwise equal at 1, 2 and 3 threads (they split along the batch only),
// weight and bias gradients within float rounding of 1 thread and bitwise repeatable at a
// given thread count, and no threads of its own inside a pool task.
#include <doctest/doctest.h>

#include <cmath>
#include <future>
#include <thread>
#include <vector>

#include "layers/conv2d.h"
#include "parallel/batch_split.h"
#include "parallel/blas_threads.h"
#include "random/rng.h"
#include "user_blas_threads.h"

using namespace nnstate;
using nnstate::testing::UserBlasThreads;

namespace {

struct Result {
  std::vector<float> y, dx, dw, db;
};

std::vector<float> values(const Tensor &t) {
  return std::vector<float>(t.data(), t.data() + t.numel());
}

// One forward and backward pass of a grouped, strided conv over 37 samples in chunks of at most
// 5 (so 8 chunks at 1 thread), with OpenBLAS at `threads`. Input width 8 gives output planes of
// 40 (GEMMs over chunks), 16 planes of 80 (GEMMs per sample in place: conv_gemm.h); a 1x1
// input leaves the centre tap alone to lower (the trimmed lowering, im2col.h).
Result run(int threads, int64_t width = 8, int64_t height = 9) {
  UserBlasThreads user(threads);
  REQUIRE(layer_threads() == threads);
  Rng rng(7, RngStream::init);
  Conv2dConfig c;
  c.in_channels = 4;
  c.out_channels = 6;
  c.kernel_size = {3, 3};
  c.stride = {2, 1};
  c.padding = {1, 1};
  c.groups = 2;
  Conv2d conv(c, &rng);
  const Shape in{37, 4, height, width};
  // A budget of 5 samples' columns. The 1x1 input lowers 4 channels x 1 tap x 1 output per
  // sample; the larger ones keep the budget this test always had.
  const int64_t per_sample = height == 1 && width == 1 ? 4 * 1 * 1 : 2 * 9 * 5 * width;
  conv.set_column_budget(5 * per_sample);
  Tensor x(in), y(conv.output_shape(in)), dy(conv.output_shape(in)), dx(in);
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = rng.uniform(-1.0f, 1.0f);
  for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = rng.uniform(-1.0f, 1.0f);
  RunContext training;
  training.training = true;
  conv.forward(x, y, training);
  conv.backward(x, y, dy, &dx);
  Result r{values(y), values(dx), {}, {}};
  struct Grads final : StateVisitor {
    Result *r;
    void tensor(const std::string &name, TensorRole, Tensor &, Tensor *grad) override {
      (name == "weight" ? r->dw : r->db) = values(*grad);
    }
  } grads;
  grads.r = &r;
  conv.visit_tensors("", grads);
  return r;
}

void require_close(const std::vector<float> &a, const std::vector<float> &b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(std::fabs(a[i] - b[i]) <= 1e-5f * (1.0f + std::fabs(b[i])));
  }
}

}  // namespace

TEST_CASE("split_batch: one thread keeps full chunks and a remainder; more threads balance") {
  const BatchSplit one = split_batch(128, 113, 1);
  CHECK(one.chunk == 113);
  CHECK(one.chunks == 2);
  CHECK(one.count(1) == 15);
  CHECK(one.slots == 1);
  const BatchSplit two = split_batch(128, 113, 2);
  CHECK(two.chunk == 64);
  CHECK(two.chunks == 2);
  CHECK(two.slots == 2);
  CHECK(two.first_chunk(1) == 1);
  const BatchSplit small = split_batch(3, 100, 8);  // fewer samples than threads
  CHECK(small.chunk == 1);
  CHECK(small.chunks == 3);
  CHECK(small.slots == 3);
  const BatchSplit many = split_batch(37, 5, 2);  // 8 chunks of 5 rounded to 8: 7 of 5 and 2
  CHECK(many.chunks == 8);
  CHECK(many.first_chunk(1) == 4);
  int64_t total = 0;
  for (int64_t k = 0; k < many.chunks; ++k) total += many.count(k);
  CHECK(total == 37);
}

TEST_CASE("Conv2d with 2 and 3 threads: forward and input gradient bitwise, weights close") {
  for (int64_t width : {8, 16, 1}) {
    CAPTURE(width);
    const int64_t height = width == 1 ? 1 : 9;
    const Result one = run(1, width, height);
    if (width == 1) {  // only the centre tap reads the 1x1 input: the others' gradient is zero
      for (size_t i = 0; i < one.dw.size(); ++i) CHECK((one.dw[i] != 0.0f) == (i % 9 == 4));
    }
    for (int threads : {2, 3}) {
      CAPTURE(threads);
      const Result many = run(threads, width, height), again = run(threads, width, height);
      CHECK(many.y == one.y);
      CHECK(many.dx == one.dx);
      require_close(many.dw, one.dw);
      require_close(many.db, one.db);
      CHECK(again.dw == many.dw);  // repeatable at a given thread count
      CHECK(again.db == many.db);
      CHECK(again.y == many.y);
    }
  }
}

TEST_CASE("layer_threads: 1 inside a pool task or a BLAS scope, so a conv there starts none") {
  UserBlasThreads user(2);
  CHECK(layer_threads() == 2);
  ThreadPool pool(2);
  int64_t inside[2] = {0, 0};
  pool.for_each(2, [&](int64_t i) { inside[i] = layer_threads(); });
  CHECK(inside[0] == 1);
  CHECK(inside[1] == 1);
  {
    BlasThreadsScope single(1);
    CHECK(layer_threads() == 1);
  }
  CHECK(layer_threads() == 2);
}

TEST_CASE("layer_threads: another thread's BLAS scope changes neither the split nor the count") {
  UserBlasThreads user(2);
  std::promise<void> opened, release;
  std::future<void> released = release.get_future();
  std::thread other([&] {
    BlasThreadsScope single(1);
    opened.set_value();
    released.wait();
  });
  opened.get_future().wait();
  CHECK(blas_threads() == 1);  // the other thread's setting is process-wide
  CHECK(layer_threads() == 2);
  release.set_value();
  other.join();
  CHECK(blas_threads() == 2);
}
