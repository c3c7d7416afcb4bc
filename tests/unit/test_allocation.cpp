// A training step with an already-seen batch size must not touch the heap: page faults cost
// ~14 us each on our machines. This file replaces the global operator new to count calls.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "train/model.h"
#include "train/trainer.h"

namespace {
std::atomic<long> allocations{0};

void *counted_alloc(std::size_t size, std::size_t alignment) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void *p = nullptr;
  if (alignment <= alignof(std::max_align_t)) {
    p = std::malloc(size);
  } else if (posix_memalign(&p, alignment, size) != 0) {
    p = nullptr;
  }
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

void *operator new(std::size_t size) {
  return counted_alloc(size, 0);
}
void *operator new[](std::size_t size) {
  return counted_alloc(size, 0);
}
void *operator new(std::size_t size, std::align_val_t a) {
  return counted_alloc(size, static_cast<std::size_t>(a));
}
void *operator new[](std::size_t size, std::align_val_t a) {
  return counted_alloc(size, static_cast<std::size_t>(a));
}
// The nothrow forms too (std::stable_sort's temporary buffer uses them): replaced with the
// others so that every allocation is counted and freed by the same allocator.
void *operator new(std::size_t size, const std::nothrow_t &) noexcept {
  try {
    return counted_alloc(size, 0);
  } catch (const std::bad_alloc &) {
    return nullptr;
  }
}
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept {
  try {
    return counted_alloc(size, 0);
  } catch (const std::bad_alloc &) {
    return nullptr;
  }
}
void *operator new(std::size_t size, std::align_val_t a, const std::nothrow_t &) noexcept {
  try {
    return counted_alloc(size, static_cast<std::size_t>(a));
  } catch (const std::bad_alloc &) {
    return nullptr;
  }
}
void *operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t &) noexcept {
  try {
    return counted_alloc(size, static_cast<std::size_t>(a));
  } catch (const std::bad_alloc &) {
    return nullptr;
  }
}
void operator delete(void *p, const std::nothrow_t &) noexcept {
  std::free(p);
}
void operator delete[](void *p, const std::nothrow_t &) noexcept {
  std::free(p);
}
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept {
  std::free(p);
}
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept {
  std::free(p);
}
void operator delete(void *p) noexcept {
  std::free(p);
}
void operator delete[](void *p) noexcept {
  std::free(p);
}
void operator delete(void *p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void *p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void *p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void *p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void *p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

using namespace nnstate;

TEST_CASE("training steps after the first allocate nothing") {
  for (OptimizerKind kind : {OptimizerKind::adam, OptimizerKind::adamw, OptimizerKind::sgd}) {
    Model model(9);
    LayerConfig l(LayerKind::linear);
    auto &l_o = l.as<LinearConfig>();
    l_o.in_features = 8;
    l_o.out_features = 32;
    model.add_layer(l);
    LayerConfig relu(LayerKind::relu);
    model.add_layer(relu);
    l_o.in_features = 32;
    l_o.out_features = 4;
    model.add_layer(l);
    model.set_loss(LossKind::cross_entropy);
    OptimizerConfig c = default_optimizer_config(kind);
    c.amsgrad = kind != OptimizerKind::sgd;
    c.momentum = kind == OptimizerKind::sgd ? 0.9 : 0.0;
    model.set_optimizer(c);
    std::vector<float> x(16 * 8, 0.5f), y(16, 1.0f);
    model.train_step(x.data(), 16 * 8, y.data(), 16, 16);  // sizes the workspaces
    model.train_step(x.data(), 8 * 8, y.data(), 8, 8);     // a smaller batch reuses them
    const long before = allocations.load();
    for (int step = 0; step < 10; ++step) {
      model.train_step(x.data(), 16 * 8, y.data(), 16, 16);
      model.train_step(x.data(), 8 * 8, y.data(), 8, 8);
    }
    const long during_steps = allocations.load() - before;
    INFO(std::string(optimizer_kind_name(kind)));
    CHECK(during_steps == 0);
    // The counter works: building a model allocates.
    const long probe = allocations.load();
    Model other(1);
    other.add_layer(l);
    CHECK(allocations.load() > probe);
  }
}

namespace {

LayerConfig layer_of(LayerKind kind) {
  return LayerConfig(kind);
}

// Two warm-up steps (the larger batch first), then counts allocations of 20 more.
long allocations_in_steps(Model &model, int64_t classes) {
  const int64_t per_sample = model.network().sample_input_size();
  std::vector<float> x(static_cast<size_t>(16 * per_sample)), y(16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.0f;
  for (size_t i = 0; i < y.size(); ++i)
    y[i] = static_cast<float>(static_cast<int64_t>(i) % classes);
  model.train_step(x.data(), 16 * per_sample, y.data(), 16, 16);
  model.train_step(x.data(), 8 * per_sample, y.data(), 8, 8);
  const long before = allocations.load();
  for (int step = 0; step < 10; ++step) {
    model.train_step(x.data(), 16 * per_sample, y.data(), 16, 16);
    model.train_step(x.data(), 8 * per_sample, y.data(), 8, 8);
  }
  return allocations.load() - before;
}

}  // namespace

TEST_CASE("training steps of a CNN with BatchNorm2d, Dropout and LayerNorm allocate nothing") {
  Model model(4);
  model.network().set_sample_input_shape(Shape{2, 8, 8});
  LayerConfig conv = layer_of(LayerKind::conv2d);
  conv.as<Conv2dConfig>().in_channels = 2;
  conv.as<Conv2dConfig>().out_channels = 4;
  conv.as<Conv2dConfig>().kernel_size = {3, 3};
  conv.as<Conv2dConfig>().padding = {1, 1};
  model.add_layer(conv);
  LayerConfig bn = layer_of(LayerKind::batch_norm2d);
  bn.as<BatchNormConfig>().num_features = 4;
  model.add_layer(bn);
  model.add_layer(layer_of(LayerKind::relu));
  LayerConfig pool = layer_of(LayerKind::max_pool2d);
  pool.as<MaxPool2dConfig>().kernel_size = {2, 2};
  pool.as<MaxPool2dConfig>().stride = {0, 0};
  model.add_layer(pool);
  conv.as<Conv2dConfig>().in_channels = 4;
  conv.as<Conv2dConfig>().out_channels = 6;
  conv.as<Conv2dConfig>().stride = {2, 2};
  conv.as<Conv2dConfig>().groups = 2;
  model.add_layer(conv);
  model.add_layer(layer_of(LayerKind::dropout));
  model.add_layer(layer_of(LayerKind::flatten));
  LayerConfig ln = layer_of(LayerKind::layer_norm);
  ln.as<LayerNormConfig>().normalized_shape = Shape{24};
  model.add_layer(ln);
  LayerConfig l = layer_of(LayerKind::linear);
  l.as<LinearConfig>().in_features = 24;
  l.as<LinearConfig>().out_features = 3;
  model.add_layer(l);
  model.set_loss(LossKind::cross_entropy);
  model.set_optimizer(default_optimizer_config(OptimizerKind::adam));
  CHECK(allocations_in_steps(model, 3) == 0);
}

TEST_CASE("training steps of the seed-001 BatchNorm1d network allocate nothing") {
  Model model(5);
  LayerConfig bn = layer_of(LayerKind::batch_norm1d);
  bn.as<BatchNormConfig>().num_features = 4;
  model.add_layer(bn);
  LayerConfig l = layer_of(LayerKind::linear);
  l.as<LinearConfig>().in_features = 4;
  l.as<LinearConfig>().out_features = 100;
  model.add_layer(l);
  model.add_layer(layer_of(LayerKind::relu));
  bn.as<BatchNormConfig>().num_features = 100;
  model.add_layer(bn);
  l.as<LinearConfig>().in_features = 100;
  l.as<LinearConfig>().out_features = 1;
  model.add_layer(l);
  model.set_loss(LossKind::mse);
  model.set_optimizer(default_optimizer_config(OptimizerKind::adam));
  CHECK(allocations_in_steps(model, 1000) == 0);
}

TEST_CASE("trainer batches with clipping, accumulation and rollback watching allocate nothing") {
  Model model(6);
  LayerConfig l(LayerKind::linear);
  auto &o = l.as<LinearConfig>();
  o.in_features = 8;
  o.out_features = 16;
  model.add_layer(l);
  model.add_layer(layer_of(LayerKind::tanh));
  o.in_features = 16;
  o.out_features = 3;
  model.add_layer(l);
  model.set_loss(LossKind::cross_entropy);
  model.set_optimizer(default_optimizer_config(OptimizerKind::adam));
  TrainerConfig config;
  config.epochs = 2;
  config.batch_size = 10;
  config.clip.max_norm = 0.1;
  config.clip.clip_value = 0.05;
  config.accumulate_steps = 3;
  config.rollback.enabled = true;
  config.rollback.snapshot_every = 1000;  // only the snapshot fit starts with
  config.scheduler.kind = SchedulerKind::exponential;
  config.scheduler.per_batch = true;
  Trainer trainer(model, config);
  std::vector<float> x(200 * 8), y(200);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 11) * 0.1f - 0.5f;
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(i % 3);
  struct Counter : TrainerObserver {
    long at_batch3 = 0, at_batch20 = 0;
    bool on_batch_end(const BatchInfo &info) override {
      if (info.epoch == 1 && info.batch == 3) at_batch3 = allocations.load();
      if (info.epoch == 1 && info.batch == 20) at_batch20 = allocations.load();
      return true;
    }
  } counter;
  trainer.fit(Dataset{x.data(), y.data(), 200, 8, 1}, nullptr, &counter);
  CHECK(trainer.state().optimizer_steps == 14);  // 7 updates (6 groups of 3, 1 of 2) per epoch
  CHECK(counter.at_batch3 > 0);
  CHECK(counter.at_batch20 - counter.at_batch3 == 0);
}

TEST_CASE("deterministic-mode steps (chunks on two threads, global BatchNorm) allocate nothing") {
  Model model(7);
  model.network().set_sample_input_shape(Shape{2, 6, 6});
  LayerConfig conv = layer_of(LayerKind::conv2d);
  conv.as<Conv2dConfig>().in_channels = 2;
  conv.as<Conv2dConfig>().out_channels = 4;
  conv.as<Conv2dConfig>().kernel_size = {3, 3};
  model.add_layer(conv);
  LayerConfig bn = layer_of(LayerKind::batch_norm2d);
  bn.as<BatchNormConfig>().num_features = 4;
  model.add_layer(bn);
  model.add_layer(layer_of(LayerKind::relu));
  model.add_layer(layer_of(LayerKind::dropout));
  model.add_layer(layer_of(LayerKind::flatten));
  LayerConfig l = layer_of(LayerKind::linear);
  l.as<LinearConfig>().in_features = 64;
  l.as<LinearConfig>().out_features = 3;
  model.add_layer(l);
  model.set_loss(LossKind::cross_entropy);
  model.set_optimizer(default_optimizer_config(OptimizerKind::adam));
  model.set_deterministic(4, 2);  // batches of 16 and 8: 4 and 2 chunks
  CHECK(allocations_in_steps(model, 3) == 0);
}
