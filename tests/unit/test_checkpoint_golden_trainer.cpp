// The golden v1 trainer checkpoint (tests/data/v1/cnn_trainer.nnst, written once by
// tests/helpers/checkpoint_make_golden_trainer.c): a CNN with every stateful layer kind,
// AMSGrad state, ReduceLROnPlateau and early stopping with best weights, after 2 epochs. Every
// later version of the library must read it with these exact values and resume from it.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>

#include "checkpoint/data.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "checkpoint/save.h"

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

const std::string kFile = std::string(NNSTATE_GOLDEN_DIR) + "/v1/cnn_trainer.nnst";

uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

void check_first_values(const Source &source, const Contents &c, const char *name,
                        std::initializer_list<uint32_t> expected) {
  const TensorEntry *e = c.find(name);
  REQUIRE(e != nullptr);
  Tensor t(e->shape);
  read_tensors(source, c, {{e, t.data()}}, DataCheck::crc_and_padding);
  size_t i = 0;
  for (uint32_t want : expected) {
    INFO(name << "[" << i << "]");
    CHECK(bits(t[static_cast<int64_t>(i++)]) == want);
  }
}

}  // namespace

TEST_CASE("golden v1: trainer checkpoint of a CNN reads with its exact state") {
  FileSource source(kFile);
  const Contents c = read_contents(source);
  verify_data(source, c);
  CHECK(c.format_major == 1);
  REQUIRE(c.layers.size() == 10);
  const LayerKind kinds[] = {
      LayerKind::conv2d,       LayerKind::batch_norm2d, LayerKind::relu,   LayerKind::max_pool2d,
      LayerKind::flatten,      LayerKind::dropout,      LayerKind::linear, LayerKind::layer_norm,
      LayerKind::batch_norm1d, LayerKind::linear};
  for (size_t i = 0; i < 10; ++i) CHECK(c.layers[i].kind() == kinds[i]);
  CHECK(c.optimizer.amsgrad);
  CHECK(c.optimizer_step() == 6);
  REQUIRE(c.has_trainer);
  CHECK(c.trainer.epoch == 2);
  CHECK(c.trainer.global_step == 6);
  CHECK(c.trainer_batch_size == 12);
  REQUIRE(c.trainer.history.size() == 2);
  CHECK(c.trainer.history[0].loss == 0x1.263e425555555p+0);
  CHECK(c.trainer.history[1].val_loss == 0x1.4e46aa0000000p+0);
  CHECK(c.has_scheduler);
  CHECK(c.scheduler.kind == SchedulerKind::reduce_on_plateau);
  CHECK(c.has_early_stopping);
  CHECK(c.early_stopping.restore_best_weights);
  check_first_values(source, c, "0.weight", {0x3e89a0feu, 0x3e9da1eeu, 0xbdc843f8u});
  check_first_values(source, c, "8.running_var", {0x3f6361ceu, 0x3f392ea4u, 0x3f5e485cu});
  check_first_values(source, c, "optimizer.9.bias.max_exp_avg_sq",
                     {0x38efcf3du, 0x37a8ae8eu, 0x3913ce83u});
  check_first_values(source, c, "early_stopping.best.9.bias",
                     {0x3dbae869u, 0xbdc2e0deu, 0x3df54af3u});
}

TEST_CASE("golden v1: a trainer resumes from the golden trainer checkpoint") {
  FileSource source(kFile);
  std::unique_ptr<Model> model = load(source, LoadOptions{});
  TrainerConfig config;
  config.epochs = 3;
  config.batch_size = 12;
  config.scheduler.kind = SchedulerKind::reduce_on_plateau;
  config.scheduler.patience = 0;
  config.early_stopping = true;
  config.early_stopping_config.patience = 5;
  config.early_stopping_config.restore_best_weights = true;
  Trainer trainer(*model, config);
  resume_trainer(trainer, source);
  CHECK(trainer.state().global_step == 6);
  CHECK(trainer.early_stopping()->state().best_weights.size() == 18);
  std::vector<float> x(24 * 36, 0.25f), y(24, 1.0f);
  Dataset train;
  train.inputs = x.data();
  train.targets = y.data();
  train.samples = 24;
  train.input_size = 36;
  train.target_size = 1;
  trainer.fit(train, &train, nullptr);
  CHECK(trainer.state().epoch == 3);
  CHECK(trainer.state().history.size() == 3);
}
