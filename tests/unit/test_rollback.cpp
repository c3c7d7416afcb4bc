// Divergence rollback in the training loop: a NaN injected through the data, a loss spike, the
// restored state, the lowered rate, skipped batches, the recorded events and the limit.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "small_mlp.h"
#include "train/trainer.h"

using namespace nnstate;
using nnstate::testing::build_clip_mlp;
using nnstate::testing::ClipData;

namespace {

std::map<std::string, std::vector<float>> weights(Model &model) {
  struct Copy : StateVisitor {
    std::map<std::string, std::vector<float>> out;
    void tensor(const std::string &name, TensorRole, Tensor &v, Tensor *) override {
      out[name].assign(v.data(), v.data() + v.numel());
    }
  } copy;
  model.network().visit_state(copy);
  return std::move(copy.out);
}

bool all_finite(const std::map<std::string, std::vector<float>> &w) {
  for (const auto &kv : w) {
    for (float v : kv.second) {
      if (!std::isfinite(v)) return false;
    }
  }
  return true;
}

// Records per batch whether it was skipped, and the weights after chosen global steps.
struct Watcher : TrainerObserver {
  Model *model = nullptr;
  std::vector<bool> skipped;
  std::map<int64_t, std::map<std::string, std::vector<float>>> after;
  bool on_batch_end(const BatchInfo &info) override {
    skipped.push_back(info.skipped);
    after[info.global_step] = weights(*model);
    return true;
  }
};

// 12 samples in batches of 2, no shuffle: sample 7 (the 4th batch of every epoch) is NaN.
ClipData poisoned(int samples = 12, int bad_sample = 7) {
  ClipData data(samples);
  // In a target: a NaN input would reach the loss only through the gradients (ReLU maps NaN
  // to 0 here).
  data.y[static_cast<size_t>(bad_sample * 2 + 1)] = std::numeric_limits<float>::quiet_NaN();
  return data;
}

TrainerConfig rollback_config(int64_t epochs) {
  TrainerConfig c;
  c.epochs = epochs;
  c.batch_size = 2;
  c.shuffle = false;
  c.rollback.enabled = true;
  c.rollback.snapshot_every = 2;
  c.rollback.max_rollbacks = 5;
  return c;
}

}  // namespace

TEST_CASE("without rollback a NaN sample ruins the weights (the injection is real)") {
  Model model(1);
  build_clip_mlp(model);
  TrainerConfig c = rollback_config(1);
  c.rollback.enabled = false;
  Trainer trainer(model, c);
  const ClipData data = poisoned();
  trainer.fit(data.dataset(), nullptr, nullptr);
  CHECK_FALSE(all_finite(weights(model)));
  CHECK(std::isnan(trainer.state().history.at(0).loss));
}

TEST_CASE("a NaN loss rolls back to the snapshot, halves the rate, skips the batch, goes on") {
  Model model(1);
  build_clip_mlp(model);
  Trainer trainer(model, rollback_config(2));
  const ClipData data = poisoned();
  Watcher watch;
  watch.model = &model;
  CHECK(trainer.fit(data.dataset(), nullptr, &watch) == StopReason::completed);

  const TrainerState &s = trainer.state();
  REQUIRE(s.rollbacks.size() == 2);
  // Epoch 0: steps 1, 2 (snapshot), 3, then batch 4 is NaN: back to the state after step 2.
  const RollbackEvent &first = s.rollbacks[0];
  CHECK(first.epoch == 0);
  CHECK(first.batch == 4);
  CHECK(first.global_step == 4);
  CHECK(first.restored_step == 2);
  CHECK(first.reason == DivergenceReason::nonfinite_loss);
  CHECK(std::isnan(first.loss));
  CHECK(first.lr == 0.05);
  CHECK_FALSE(first.gave_up);
  CHECK(watch.after.at(4) == watch.after.at(2));  // restored exactly, parameters and all
  // Epoch 1: steps 6 (snapshot), 7, 8 (snapshot), then batch 4 again.
  CHECK(s.rollbacks[1].epoch == 1);
  CHECK(s.rollbacks[1].global_step == 10);
  CHECK(s.rollbacks[1].restored_step == 8);
  CHECK(s.rollbacks[1].lr == 0.025);
  CHECK(model.optimizer()->lr() == 0.025);
  CHECK(s.optimizer_steps == 10);  // 12 batches, 2 skipped

  const std::vector<bool> expected = {false, false, false, true, false, false,
                                      false, false, false, true, false, false};
  CHECK(watch.skipped == expected);
  CHECK(all_finite(weights(model)));
  REQUIRE(s.history.size() == 2);
  CHECK(std::isfinite(s.history[0].loss));
  CHECK(std::isfinite(s.history[1].loss));
  CHECK_FALSE(s.diverged);
}

TEST_CASE("skip_batches skips more than the offending batch") {
  Model model(1);
  build_clip_mlp(model);
  TrainerConfig c = rollback_config(1);
  c.rollback.skip_batches = 2;
  Trainer trainer(model, c);
  const ClipData data = poisoned();
  Watcher watch;
  watch.model = &model;
  trainer.fit(data.dataset(), nullptr, &watch);
  const std::vector<bool> expected = {false, false, false, true, true, false};
  CHECK(watch.skipped == expected);
  CHECK(trainer.state().optimizer_steps == 4);
  CHECK(trainer.state().skip_remaining == 0);
}

TEST_CASE("max_rollbacks used up: the run ends diverged on the good state, and stays ended") {
  Model model(1);
  build_clip_mlp(model);
  TrainerConfig c = rollback_config(3);
  c.rollback.max_rollbacks = 1;
  Trainer trainer(model, c);
  const ClipData data = poisoned();
  Watcher watch;
  watch.model = &model;
  CHECK(trainer.fit(data.dataset(), nullptr, &watch) == StopReason::diverged);
  const TrainerState &s = trainer.state();
  REQUIRE(s.rollbacks.size() == 2);
  CHECK_FALSE(s.rollbacks[0].gave_up);
  CHECK(s.rollbacks[1].gave_up);
  CHECK(s.rollbacks[1].lr == 0.05);  // not lowered again
  CHECK(s.diverged);
  CHECK(s.epoch == 1);
  CHECK(s.batch_in_epoch == 4);
  CHECK(watch.after.at(10) == watch.after.at(9));  // the snapshot of step 8 (batch 9) remains
  CHECK(all_finite(weights(model)));
  CHECK(trainer.fit(data.dataset(), nullptr, nullptr) == StopReason::diverged);
  CHECK(trainer.state().global_step == 10);
}

TEST_CASE("a loss spike over spike_factor times the recent average rolls back") {
  Model model(1);
  build_clip_mlp(model);
  TrainerConfig c = rollback_config(1);
  c.rollback.spike_factor = 5.0;
  Trainer trainer(model, c);
  ClipData data(30);
  data.y[2 * 25] = 40.0f;  // sample 25: batch 13, after the 10 losses of the warm-up
  trainer.fit(data.dataset(), nullptr, nullptr);
  const TrainerState &s = trainer.state();
  REQUIRE(s.rollbacks.size() == 1);
  CHECK(s.rollbacks[0].reason == DivergenceReason::loss_spike);
  CHECK(s.rollbacks[0].batch == 13);
  CHECK(std::isfinite(s.rollbacks[0].loss));
  CHECK(s.rollbacks[0].loss > 5.0 * s.loss_average);
}

TEST_CASE("rollback options are checked") {
  Model model(1);
  build_clip_mlp(model);
  TrainerConfig c = rollback_config(1);
  c.rollback.lr_factor = 0.0;
  CHECK_THROWS_WITH(Trainer(model, c), doctest::Contains("lr_factor"));
  c = rollback_config(1);
  c.rollback.skip_batches = 0;
  CHECK_THROWS_WITH(Trainer(model, c), doctest::Contains("skip_batches"));
  c = rollback_config(1);
  c.rollback.spike_factor = 0.5;
  CHECK_THROWS_WITH(Trainer(model, c), doctest::Contains("spike_factor"));
  c = rollback_config(1);
  c.rollback.snapshot_every = 0;
  CHECK_THROWS_WITH(Trainer(model, c), doctest::Contains("snapshot_every"));
  c = rollback_config(1);
  c.accumulate_steps = 0;
  CHECK_THROWS_WITH(Trainer(model, c), doctest::Contains("accumulate_steps"));
}
