// The run of the golden format 1.3 trainer checkpoint (tests/data/v1/frozen_groups_trainer.nnst):
// Linear(4, 5), BatchNorm1d(5), ReLU, Linear(5, 3), ReLU, Linear(3, 2) with "0" and "1" frozen
// (BatchNorm kept in eval mode), Adam over two param groups -- ["0", "3"] (lr 1e-2, betas
// (0.8, 0.99); "0" is frozen, so only "3" trains in it) and ["5"] (lr 5e-2, eps 1e-6,
// weight_decay 1e-2) -- and ReduceLROnPlateau on the training loss with a per-group min_lr, on
// the clipping references' data; the file is saved mid-epoch after two reductions.
#pragma once

#include "small_mlp.h"

namespace frozen_golden {

inline void build(nnstate::Model &model) {
  using nnstate::LayerConfig;
  using nnstate::LayerKind;
  using nnstate::testing::linear_config;
  LayerConfig bn(LayerKind::batch_norm1d);
  bn.as<nnstate::BatchNormConfig>().num_features = 5;
  LayerConfig relu(LayerKind::relu);
  model.add_layer(linear_config(4, 5));
  model.add_layer(bn);
  model.add_layer(relu);
  model.add_layer(linear_config(5, 3));
  model.add_layer(relu);
  model.add_layer(linear_config(3, 2));
  model.set_loss(nnstate::LossKind::mse);
  model.set_requires_grad({"0", "1."}, false);
  model.set_frozen_batchnorm_eval(true);
  nnstate::OptimizerConfig adam = nnstate::default_optimizer_config(nnstate::OptimizerKind::adam);
  nnstate::ParamGroupConfig body, head;
  body.params = {"0", "3"};
  body.options.lr = 1e-2;
  body.options.beta1 = 0.8;
  body.options.beta2 = 0.99;
  head.params = {"5"};
  head.options.lr = 5e-2;
  head.options.eps = 1e-6;
  head.options.weight_decay = 1e-2;
  adam.groups = {body, head};
  model.set_optimizer(adam);
}

inline nnstate::TrainerConfig config(int64_t epochs) {
  nnstate::TrainerConfig c;
  c.epochs = epochs;
  c.batch_size = 4;
  c.scheduler.kind = nnstate::SchedulerKind::reduce_on_plateau;
  c.scheduler.factor = 0.5;
  c.scheduler.patience = 0;
  c.scheduler.threshold = 0.05;
  c.scheduler.group_min_lr = {4e-3, 1e-2};
  c.scheduler_monitor = "loss";
  return c;
}

struct Data : nnstate::testing::ClipData {
  Data() : ClipData(22) {}
};

// Stops the run in the middle of an epoch once the schedule reduced the head's rate twice.
struct StopAfterReductions : nnstate::TrainerObserver {
  void after_batch(nnstate::Trainer &trainer) override {
    const double head = trainer.model().optimizer()->group_lr(2);
    if (head < 5e-2 / 3 && trainer.state().batch_in_epoch == 3) trainer.request_stop();
  }
};

}  // namespace frozen_golden
