// The run of the golden format 1.3 checkpoint with the deterministic mode on
// (tests/data/v1/deterministic_trainer.nnst): Linear(4, 6), BatchNorm1d(6), ReLU, Dropout(0.25),
// Linear(6, 2), Adam, MSE, batches of 8 in chunks of 3 on the clipping references' data; the
// file is saved mid-epoch, at batch 2 of epoch 3.
#pragma once

#include "small_mlp.h"

namespace deterministic_golden {

constexpr int64_t kChunk = 3;

inline void build(nnstate::Model &model, int64_t threads) {
  using nnstate::LayerConfig;
  using nnstate::LayerKind;
  using nnstate::testing::linear_config;
  LayerConfig bn(LayerKind::batch_norm1d);
  bn.as<nnstate::BatchNormConfig>().num_features = 6;
  LayerConfig dropout(LayerKind::dropout);
  dropout.as<nnstate::DropoutConfig>().p = 0.25;
  model.add_layer(linear_config(4, 6));
  model.add_layer(bn);
  model.add_layer(LayerConfig(LayerKind::relu));
  model.add_layer(dropout);
  model.add_layer(linear_config(6, 2));
  model.set_loss(nnstate::LossKind::mse);
  nnstate::OptimizerConfig adam = nnstate::default_optimizer_config(nnstate::OptimizerKind::adam);
  adam.lr = 1e-2;
  model.set_optimizer(adam);
  model.set_deterministic(kChunk, threads);
}

inline nnstate::TrainerConfig config(int64_t epochs) {
  nnstate::TrainerConfig c;
  c.epochs = epochs;
  c.batch_size = 8;
  return c;
}

struct Data : nnstate::testing::ClipData {
  Data() : ClipData(22) {}
};

// Stops the run at batch 2 of epoch 3 (batches are counted from 1).
struct StopMidEpoch : nnstate::TrainerObserver {
  void after_batch(nnstate::Trainer &trainer) override {
    if (trainer.state().epoch == 2 && trainer.state().batch_in_epoch == 2) trainer.request_stop();
  }
};

}  // namespace deterministic_golden
