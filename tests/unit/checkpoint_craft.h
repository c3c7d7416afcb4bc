// Crafting hostile checkpoints with valid CRCs for the reader's tests: a layer that reports any
// configuration with tensors of any shape (so that saving writes a manifest that lies), and a
// trained trainer whose state a test may corrupt before saving it.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/crc32c.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "checkpoint/save.h"
#include "layers/layer.h"
#include "train/model.h"
#include "train/trainer.h"

namespace ckpt_craft {

// Claims `config` but holds only `tensors` (small) and passes its input through.
class LyingLayer final : public nnstate::Layer {
 public:
  LyingLayer(const nnstate::LayerConfig &config,
             const std::vector<std::pair<std::string, nnstate::Shape>> &tensors)
      : config_(config) {
    for (const auto &t : tensors) tensors_.push_back({t.first, nnstate::Tensor(t.second)});
  }
  nnstate::LayerConfig config() const override { return config_; }
  nnstate::Shape output_shape(const nnstate::Shape &input) const override { return input; }
  bool preserves_shape() const override { return true; }
  void forward(const nnstate::Tensor &, nnstate::Tensor &, const nnstate::RunContext &) override {}
  void backward(const nnstate::Tensor &, const nnstate::Tensor &, const nnstate::Tensor &,
                nnstate::Tensor *) override {}
  void visit_tensors(const std::string &prefix, nnstate::StateVisitor &visitor) override {
    for (auto &t : tensors_) {
      visitor.tensor(prefix + t.first, nnstate::TensorRole::parameter, t.second, nullptr);
    }
  }

 private:
  nnstate::LayerConfig config_;
  std::vector<std::pair<std::string, nnstate::Tensor>> tensors_;
};

// A network of `count` copies of a lying layer on samples of shape [4].
inline std::unique_ptr<nnstate::Model> lying_model(
    const nnstate::LayerConfig &config,
    const std::vector<std::pair<std::string, nnstate::Shape>> &tensors, size_t count = 1) {
  auto model = std::make_unique<nnstate::Model>(1);
  model->network().set_sample_input_shape(nnstate::Shape{4});
  for (size_t i = 0; i < count; ++i) {
    model->network().add(std::make_unique<LyingLayer>(config, tensors));
  }
  return model;
}

// A Conv2d config of `channels` in and out, for crafting files that claim any kernel.
inline nnstate::LayerConfig conv(int64_t channels, nnstate::Size2 kernel, int64_t groups) {
  nnstate::LayerConfig c(nnstate::LayerKind::conv2d);
  auto &o = c.as<nnstate::Conv2dConfig>();
  o.in_channels = o.out_channels = channels;
  o.kernel_size = kernel;
  o.groups = groups;
  return c;
}

// Rewrites the manifest CRC and the header CRC so that a mutated manifest reaches the
// FlatBuffers Verifier and the semantic checks instead of failing its CRC.
inline void fix_crcs(std::vector<unsigned char> &bytes) {
  uint64_t offset, length;
  std::memcpy(&offset, bytes.data() + 16, 8);
  std::memcpy(&length, bytes.data() + 24, 8);
  uint32_t crc = nnstate::checkpoint::crc32c(0, bytes.data() + offset, static_cast<size_t>(length));
  std::memcpy(bytes.data() + 48, &crc, 4);
  crc = nnstate::checkpoint::crc32c(0, bytes.data(), 60);
  std::memcpy(bytes.data() + 60, &crc, 4);
}

inline std::vector<unsigned char> save_bytes(nnstate::Model &model,
                                             const nnstate::checkpoint::SaveOptions &o = {}) {
  const size_t size = nnstate::checkpoint::save_to_buffer(model, nullptr, 0, o);
  std::vector<unsigned char> bytes(size);
  nnstate::checkpoint::save_to_buffer(model, bytes.data(), bytes.size(), o);
  return bytes;
}

// A small classifier trained by a trainer (ReduceLROnPlateau, early stopping with best
// weights) on 180 samples of 3 features in batches of 25 (8 batches an epoch), stopped after
// `steps` batches: a test corrupts its state, then saves it.
struct TrainedTrainer {
  std::vector<float> x, y;
  nnstate::Model model{7};
  std::unique_ptr<nnstate::Trainer> trainer;

  static nnstate::TrainerConfig config() {
    nnstate::TrainerConfig c;
    c.epochs = 4;
    c.batch_size = 25;
    c.scheduler.kind = nnstate::SchedulerKind::reduce_on_plateau;
    c.scheduler.patience = 0;
    c.scheduler_monitor = "loss";
    c.early_stopping = true;
    c.early_stopping_config.monitor = "loss";
    c.early_stopping_config.patience = 5;
    c.early_stopping_config.restore_best_weights = true;
    return c;
  }
  static void build(nnstate::Model &m) {
    nnstate::LayerConfig l(nnstate::LayerKind::linear);
    auto &l_o = l.as<nnstate::LinearConfig>();
    l_o.in_features = 3;
    l_o.out_features = 8;
    m.add_layer(l);
    nnstate::LayerConfig relu(nnstate::LayerKind::relu);
    m.add_layer(relu);
    l_o.in_features = 8;
    l_o.out_features = 3;
    m.add_layer(l);
    m.set_loss(nnstate::LossKind::cross_entropy);
    m.set_optimizer(nnstate::default_optimizer_config(nnstate::OptimizerKind::adam));
  }
  nnstate::Dataset data(int64_t samples = 180) const {
    nnstate::Dataset d;
    d.inputs = x.data();
    d.targets = y.data();
    d.samples = samples;
    d.input_size = 3;
    d.target_size = 1;
    return d;
  }

  explicit TrainedTrainer(int64_t steps) {
    for (int i = 0; i < 180; ++i) {
      for (int f = 0; f < 3; ++f) x.push_back(static_cast<float>((i * (f + 3)) % 7) / 7.0f);
      y.push_back(static_cast<float>(i % 3));
    }
    build(model);
    trainer = std::make_unique<nnstate::Trainer>(model, config());
    struct StopAt : nnstate::TrainerObserver {
      int64_t steps;
      bool on_batch_end(const nnstate::BatchInfo &info) override {
        return info.global_step < steps;
      }
    } stop;
    stop.steps = steps;
    const nnstate::Dataset d = data();
    trainer->fit(d, nullptr, &stop);
  }

  std::vector<unsigned char> save() {
    nnstate::checkpoint::SaveOptions o;
    o.trainer = trainer.get();
    return save_bytes(model, o);
  }
};

}  // namespace ckpt_craft
