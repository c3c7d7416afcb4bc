// The deterministic-across-scale mode (parallel/): chunks of a fixed size, a canonical
// reduction order, global BatchNorm statistics and dropout by global sample index, so that
// 1 and 2 threads give the same bits.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "checkpoint/io.h"
#include "checkpoint/load.h"
#include "checkpoint/save.h"
#include "parallel/canonical_tree.h"
#include "parallel/thread_pool.h"
#include "random/rng.h"
#include "train/network_tensors.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace nnstate;

namespace {

LayerConfig layer_of(LayerKind kind) {
  return LayerConfig(kind);
}

LayerConfig linear(int64_t in, int64_t out) {
  LayerConfig c = layer_of(LayerKind::linear);
  c.as<LinearConfig>().in_features = in;
  c.as<LinearConfig>().out_features = out;
  return c;
}

void build_mlp(Model &m) {
  m.add_layer(linear(12, 32));
  m.add_layer(layer_of(LayerKind::relu));
  m.add_layer(layer_of(LayerKind::dropout));
  m.add_layer(linear(32, 16));
  m.add_layer(layer_of(LayerKind::tanh));
  m.add_layer(linear(16, 3));
  m.set_loss(LossKind::cross_entropy);
  m.set_optimizer(default_optimizer_config(OptimizerKind::adam));
}

// Conv2d, BatchNorm2d, ReLU, Dropout2d, MaxPool2d, Flatten, Dropout, Linear, BatchNorm1d,
// Linear on 1x6x6 images.
void build_cnn(Model &m) {
  m.network().set_sample_input_shape(Shape{1, 6, 6});
  LayerConfig conv = layer_of(LayerKind::conv2d);
  conv.as<Conv2dConfig>().in_channels = 1;
  conv.as<Conv2dConfig>().out_channels = 4;
  conv.as<Conv2dConfig>().kernel_size = {3, 3};
  conv.as<Conv2dConfig>().padding = {1, 1};
  m.add_layer(conv);
  LayerConfig bn = layer_of(LayerKind::batch_norm2d);
  bn.as<BatchNormConfig>().num_features = 4;
  m.add_layer(bn);
  m.add_layer(layer_of(LayerKind::relu));
  m.add_layer(layer_of(LayerKind::dropout2d));
  LayerConfig pool = layer_of(LayerKind::max_pool2d);
  pool.as<MaxPool2dConfig>().kernel_size = {2, 2};
  pool.as<MaxPool2dConfig>().stride = {0, 0};
  m.add_layer(pool);
  m.add_layer(layer_of(LayerKind::flatten));
  m.add_layer(layer_of(LayerKind::dropout));
  m.add_layer(linear(36, 10));
  LayerConfig bn1 = layer_of(LayerKind::batch_norm1d);
  bn1.as<BatchNormConfig>().num_features = 10;
  m.add_layer(bn1);
  m.add_layer(linear(10, 3));
  m.set_loss(LossKind::cross_entropy);
  OptimizerConfig sgd = default_optimizer_config(OptimizerKind::sgd);
  sgd.lr = 0.05;
  sgd.momentum = 0.9;
  m.set_optimizer(sgd);
}

// A residual graph: x -> fc1 -> bn -> relu -> fc2, added to fc1's output, then the head.
void build_residual(Model &m) {
  m.add_node(linear(12, 16), {Graph::kNetworkInput}, "fc1");
  LayerConfig bn = layer_of(LayerKind::batch_norm1d);
  bn.as<BatchNormConfig>().num_features = 16;
  m.add_node(bn, {0}, "bn");
  m.add_node(layer_of(LayerKind::relu), {1}, "");
  m.add_node(linear(16, 16), {2}, "fc2");
  m.add_node(layer_of(LayerKind::add), {3, 0}, "");
  m.add_node(layer_of(LayerKind::dropout), {4}, "");
  m.add_node(linear(16, 3), {5}, "head");
  m.set_loss(LossKind::cross_entropy);
  m.set_optimizer(default_optimizer_config(OptimizerKind::adamw));
}

struct Data {
  std::vector<float> x, y;
  Data(int64_t samples, int64_t per_sample) {
    for (int64_t k = 0; k < samples * per_sample; ++k) {
      x.push_back(static_cast<float>(std::sin(0.37 * static_cast<double>(k) + 0.1)));
    }
    for (int64_t s = 0; s < samples; ++s) y.push_back(static_cast<float>((s * 7 + s / 3) % 3));
  }
  Dataset dataset(int64_t per_sample) const {
    return Dataset{x.data(), y.data(), static_cast<int64_t>(y.size()), per_sample, 1};
  }
};

// Every network tensor and optimizer state tensor, and the optimizer's steps, as bytes.
std::vector<unsigned char> state_bytes(Model &m) {
  std::vector<unsigned char> bytes;
  auto append = [&](const void *p, size_t n) {
    const auto *c = static_cast<const unsigned char *>(p);
    bytes.insert(bytes.end(), c, c + n);
  };
  for (const TensorRef &t : network_tensors(m.network())) {
    append(t.value->data(), t.value->byte_size());
  }
  struct Visitor : OptimizerStateVisitor {
    std::function<void(const void *, size_t)> append;
    void step(const std::string &, int64_t &step) override { append(&step, sizeof step); }
    void tensor(const std::string &, const char *, Tensor &value) override {
      append(value.data(), value.byte_size());
    }
  } visitor;
  visitor.append = append;
  m.optimizer()->visit_state(visitor);
  const RngState dropout = m.dropout_rng().state();
  append(&dropout.block, sizeof dropout.block);
  append(&dropout.position, sizeof dropout.position);
  return bytes;
}

struct RunResult {
  std::vector<unsigned char> state;
  std::vector<HistoryRow> history;
};

TrainerConfig three_epochs() {
  TrainerConfig c;
  c.epochs = 3;
  c.batch_size = 20;
  return c;
}

struct StopAt : TrainerObserver {
  int64_t step;
  explicit StopAt(int64_t s) : step(s) {}
  bool on_batch_end(const BatchInfo &info) override { return info.global_step < step; }
};

// Three epochs of 45 samples in batches of 20 (the last one 5) with chunks of `chunk`; with
// `stop_at` > 0 the run is saved after that many batches and continued by a fresh process's
// objects (model, trainer) from the file, on `resume_threads` threads.
RunResult train(void (*build)(Model &), int64_t per_sample, int64_t chunk, int64_t threads,
                int64_t stop_at = 0, int64_t resume_threads = 1,
                std::vector<std::string> *warnings = nullptr, int64_t resume_chunk = -1) {
  Data train_data(45, per_sample), val_data(13, per_sample);
  const Dataset train = train_data.dataset(per_sample), val = val_data.dataset(per_sample);
  Model m(17);
  build(m);
  m.set_deterministic(chunk, threads);
  Trainer trainer(m, three_epochs());
  if (stop_at == 0) {
    trainer.fit(train, &val, nullptr);
    return {state_bytes(m), trainer.state().history};
  }
  StopAt stop(stop_at);
  CHECK(trainer.fit(train, &val, &stop) == StopReason::requested);
  checkpoint::SaveOptions save;
  save.trainer = &trainer;
  std::vector<unsigned char> buffer(1 << 20);
  const size_t size = checkpoint::save_to_buffer(m, buffer.data(), buffer.size(), save);
  REQUIRE(size <= buffer.size());
  Model again(17);
  build(again);
  again.set_deterministic(resume_chunk >= 0 ? resume_chunk : chunk, resume_threads);
  Trainer continued(again, three_epochs());
  checkpoint::MemorySource source(buffer.data(), size, false, "chunked.nnst");
  std::vector<std::string> w = checkpoint::resume_trainer(continued, source);
  if (warnings) *warnings = w;
  continued.fit(train, &val, nullptr);
  return {state_bytes(again), continued.state().history};
}

void check_same(const RunResult &a, const RunResult &b) {
  REQUIRE(a.state.size() == b.state.size());
  CHECK(std::memcmp(a.state.data(), b.state.data(), a.state.size()) == 0);
  REQUIRE(a.history.size() == b.history.size());
  for (size_t e = 0; e < a.history.size(); ++e) {
    CHECK(std::memcmp(&a.history[e].loss, &b.history[e].loss, sizeof(double)) == 0);
    CHECK(std::memcmp(&a.history[e].val_loss, &b.history[e].val_loss, sizeof(double)) == 0);
    CHECK(a.history[e].accuracy == b.history[e].accuracy);
  }
}

}  // namespace

TEST_CASE("Rng::skip lands where drawing lands") {
  for (uint64_t start : {0u, 1u, 3u, 4u, 6u}) {
    for (uint64_t words : {0u, 1u, 2u, 3u, 4u, 5u, 8u, 13u, 1000u}) {
      Rng drawn(99, RngStream::dropout), skipped(99, RngStream::dropout);
      for (uint64_t i = 0; i < start; ++i) {
        drawn.next_u32();
        skipped.next_u32();
      }
      for (uint64_t i = 0; i < words; ++i) drawn.next_u32();
      skipped.skip(words);
      INFO("start " << start << " words " << words);
      CHECK(drawn.state() == skipped.state());
      CHECK(drawn.next_u32() == skipped.next_u32());
    }
  }
  RngState far;
  far.block = UINT64_MAX / 4;
  Rng rng(far);
  CHECK_THROWS_AS(rng.skip(UINT64_MAX / 2), Error);
}

TEST_CASE("the canonical tree adds in the fixed order of its levels") {
  // Values whose sum depends on the association: 1e8 + 1 - 1e8 loses the 1 unless 1 pairs first.
  const float v[5] = {1e8f, 1.0f, -1e8f, 1.0f, 3.0f};
  std::vector<float> parts[5];
  float *ptrs[5];
  for (int k = 0; k < 5; ++k) {
    parts[k].assign(2, v[k]);
    ptrs[k] = parts[k].data();
  }
  canonical_tree_sum(ptrs, 5, 0, 2);
  const float expected = ((v[0] + v[1]) + (v[2] + v[3])) + v[4];
  CHECK(parts[0][0] == expected);
  CHECK(parts[0][1] == expected);
  double d[3] = {0.1, 0.2, 0.3};
  canonical_tree_sum(d, 3, 1);
  CHECK(d[0] == (0.1 + 0.2) + 0.3);
  // Moments: parts of 2, 1 and 3 values merge to those of all 6.
  const double values[6] = {1.0, 3.0, 10.0, -2.0, 4.0, 5.0};
  double mean[3] = {2.0, 10.0, 7.0 / 3.0};
  double m2[3] = {2.0, 0.0, 0.0};
  for (int i = 3; i < 6; ++i) m2[2] += (values[i] - mean[2]) * (values[i] - mean[2]);
  int64_t counts[3] = {2, 1, 3};
  canonical_tree_moments(mean, m2, counts, 3, 1);
  double all_mean = 0.0, all_m2 = 0.0;
  for (double x : values) all_mean += x / 6.0;
  for (double x : values) all_m2 += (x - all_mean) * (x - all_mean);
  CHECK(counts[0] == 6);
  CHECK(mean[0] == doctest::Approx(all_mean).epsilon(1e-14));
  CHECK(m2[0] == doctest::Approx(all_m2).epsilon(1e-14));
}

TEST_CASE("the thread pool runs every task once and passes on a task's exception") {
  for (int64_t threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 50; ++round) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(round + 1));
      pool.for_each(round + 1, [&](int64_t i) { runs[static_cast<size_t>(i)].fetch_add(1); });
      for (auto &r : runs) CHECK(r.load() == 1);
    }
    CHECK_THROWS_WITH(pool.for_each(7,
                                    [](int64_t i) {
                                      if (i == 4) throw std::runtime_error("task 4");
                                    }),
                      "task 4");
    std::atomic<int> after{0};
    pool.for_each(5, [&](int64_t) { after.fetch_add(1); });  // still usable
    CHECK(after.load() == 5);
  }
  CHECK_THROWS_AS(ThreadPool(0), Error);
}

TEST_CASE("deterministic mode: 1 and 2 threads give the same bits (MLP with dropout)") {
  check_same(train(build_mlp, 12, 3, 1), train(build_mlp, 12, 3, 2));
}

TEST_CASE("deterministic mode: 1 and 2 threads give the same bits (CNN, BatchNorm, dropout)") {
  check_same(train(build_cnn, 36, 3, 1), train(build_cnn, 36, 3, 2));
}

TEST_CASE("deterministic mode: 1 and 2 threads give the same bits (residual graph)") {
  check_same(train(build_residual, 12, 3, 1), train(build_residual, 12, 3, 3));
}

TEST_CASE("deterministic mode: the chunks' sum is the whole batch's step") {
  // One step in chunks of 3 against one step over the whole batch (BatchNorm with the global
  // batch's statistics, dropout masks by global sample index): the same up to float rounding.
  for (auto build : {build_mlp, build_cnn, build_residual}) {
    const int64_t per_sample = build == build_cnn ? 36 : 12;
    Data data(20, per_sample);
    Model whole(5), chunked(5);
    build(whole);
    build(chunked);
    chunked.set_deterministic(3, 2);
    float losses[2];
    int64_t correct[2];
    Model *models[2] = {&whole, &chunked};
    for (int i = 0; i < 2; ++i) {
      losses[i] =
          models[i]->train_step(data.x.data(), 20 * per_sample, data.y.data(), 20, 20, &correct[i]);
    }
    CHECK(losses[1] == doctest::Approx(losses[0]).epsilon(1e-5));
    CHECK(correct[1] == correct[0]);
    CHECK(whole.dropout_rng().state() == chunked.dropout_rng().state());
    const std::vector<TensorRef> a = network_tensors(whole.network());
    const std::vector<TensorRef> b = network_tensors(chunked.network());
    for (size_t t = 0; t < a.size(); ++t) {
      INFO(a[t].name);
      for (int64_t k = 0; k < a[t].value->numel(); ++k) {
        CHECK((*b[t].value)[k] == doctest::Approx((*a[t].value)[k]).epsilon(1e-4).scale(1e-3));
      }
    }
    // Evaluation and prediction in chunks match too.
    std::vector<float> out_a(60), out_b(60);
    whole.predict(data.x.data(), 20 * per_sample, 20, out_a.data(), 60);
    chunked.predict(data.x.data(), 20 * per_sample, 20, out_b.data(), 60);
    for (size_t k = 0; k < out_a.size(); ++k) {
      CHECK(out_b[k] == doctest::Approx(out_a[k]).epsilon(1e-4).scale(1e-3));
    }
  }
}

TEST_CASE("deterministic mode: bad settings are refused") {
  Model m(1);
  build_mlp(m);
  CHECK_THROWS_AS(m.set_deterministic(-1, 1), Error);
  CHECK_THROWS_AS(m.set_deterministic(4, -2), Error);
  CHECK_THROWS_AS(m.set_deterministic(4, 5000), Error);
  m.set_deterministic(4, 2);
  CHECK(m.deterministic_chunk_size() == 4);
  CHECK(m.deterministic_threads() == 2);
  m.set_deterministic(0, 0);
  CHECK(m.deterministic_chunk_size() == 0);
}

TEST_CASE("deterministic mode: a run resumed on another thread count ends bit-identical") {
  const RunResult whole = train(build_cnn, 36, 3, 2);
  for (int64_t stop_at : {2, 4, 7}) {
    INFO("stopped after batch " << stop_at);
    std::vector<std::string> warnings;
    check_same(whole, train(build_cnn, 36, 3, 2, stop_at, 1, &warnings));
    for (const std::string &w : warnings) CHECK(w.find("deterministic") == std::string::npos);
  }
}

TEST_CASE("deterministic mode: a resume that switches the mode warns") {
  std::vector<std::string> warnings;
  train(build_mlp, 12, 3, 1, 3, 1, &warnings, 0);  // written in chunks of 3, resumed off
  bool warned = false;
  for (const std::string &w : warnings) {
    warned |= w.find(
                  "deterministic mode with chunks of 3; this run uses the deterministic "
                  "mode off") != std::string::npos;
  }
  CHECK(warned);
  train(build_mlp, 12, 0, 1, 3, 1, &warnings, 4);  // written off, resumed in chunks of 4
  warned = false;
  for (const std::string &w : warnings) {
    warned |= w.find("mode off; this run uses the deterministic mode with chunks of 4") !=
              std::string::npos;
  }
  CHECK(warned);
}
