// The residual CNN of the golden v1.1 trainer checkpoint (tests/data/v1/resnet_block_trainer.nnst):
// a ResNet BasicBlock with a 1x1 projection shortcut, Conv2d padding='same', Dropout2d and a
// global average pool, named like torchvision's resnet18 modules, trained by a StepLR trainer.
// Shared by the file's writer (tests/helpers/checkpoint_make_golden_graph.cpp) and its tests.
#pragma once

#include <vector>

#include "train/model.h"
#include "train/trainer.h"

namespace golden_graph {

constexpr int64_t kSamples = 48, kFeatures = 36;

inline nnstate::LayerConfig of_kind(nnstate::LayerKind kind) {
  return nnstate::LayerConfig(kind);
}

inline nnstate::LayerConfig conv(int64_t in, int64_t out, int64_t k) {
  nnstate::LayerConfig c(nnstate::LayerKind::conv2d);
  auto &o = c.as<nnstate::Conv2dConfig>();
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_size = {k, k};
  o.bias = false;
  return c;
}

inline nnstate::LayerConfig batch_norm(int64_t channels) {
  nnstate::LayerConfig c(nnstate::LayerKind::batch_norm2d);
  auto &o = c.as<nnstate::BatchNormConfig>();
  o.num_features = channels;
  return c;
}

inline void build(nnstate::Model &m) {
  using nnstate::LayerKind;
  constexpr int32_t input = nnstate::Graph::kNetworkInput;
  m.network().set_sample_input_shape(nnstate::Shape{1, 6, 6});
  nnstate::LayerConfig conv1 = conv(1, 4, 3);
  conv1.as<nnstate::Conv2dConfig>().padding = {1, 1};
  m.add_node(conv1, {input}, "layer1.0.conv1");
  m.add_node(batch_norm(4), {0}, "layer1.0.bn1");
  m.add_node(of_kind(LayerKind::relu), {1}, "layer1.0.relu");
  nnstate::LayerConfig conv2 = conv(4, 4, 3);
  conv2.as<nnstate::Conv2dConfig>().padding_same = true;
  m.add_node(conv2, {2}, "layer1.0.conv2");
  m.add_node(batch_norm(4), {3}, "layer1.0.bn2");
  m.add_node(conv(1, 4, 1), {input}, "layer1.0.downsample.0");
  m.add_node(batch_norm(4), {5}, "layer1.0.downsample.1");
  m.add_node(of_kind(LayerKind::add), {4, 6}, "");
  m.add_node(of_kind(LayerKind::relu), {7}, "");
  nnstate::LayerConfig drop(LayerKind::dropout2d);
  auto &drop_o = drop.as<nnstate::DropoutConfig>();
  drop_o.p = 0.25;
  m.add_node(drop, {8}, "");
  m.add_node(of_kind(LayerKind::adaptive_avg_pool2d), {9}, "avgpool");
  m.add_node(of_kind(LayerKind::flatten), {10}, "");
  nnstate::LayerConfig fc(LayerKind::linear);
  auto &fc_o = fc.as<nnstate::LinearConfig>();
  fc_o.in_features = 4;
  fc_o.out_features = 3;
  m.add_node(fc, {11}, "fc");
  m.set_loss(nnstate::LossKind::cross_entropy);
  m.set_optimizer(nnstate::default_optimizer_config(nnstate::OptimizerKind::adamw));
}

inline nnstate::TrainerConfig config(int64_t epochs) {
  nnstate::TrainerConfig c;
  c.epochs = epochs;
  c.batch_size = 12;
  c.scheduler.kind = nnstate::SchedulerKind::step;
  c.scheduler.step_size = 1;
  c.scheduler.gamma = 0.5;
  return c;
}

struct Data {
  std::vector<float> x, y;
  Data() {
    for (int64_t i = 0; i < kSamples * kFeatures; ++i) {
      x.push_back(static_cast<float>((i * 37) % 17) / 17.0f - 0.4f);
    }
    for (int64_t i = 0; i < kSamples; ++i) y.push_back(static_cast<float>(i % 3));
  }
  nnstate::Dataset dataset() const {
    nnstate::Dataset d;
    d.inputs = x.data();
    d.targets = y.data();
    d.samples = kSamples;
    d.input_size = kFeatures;
    d.target_size = 1;
    return d;
  }
};

}  // namespace golden_graph
