// Resume exactness around the state of clipping, accumulation and rollback: a run cut at every
// batch -- mid-accumulation, between a rollback and the batches it skips, after rollbacks --
// and resumed from its checkpoint in fresh objects ends bitwise identical to the uninterrupted
// run; a trainer set up with other settings is refused.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "checkpoint/save.h"
#include "train/trainer.h"
#include "trainer_state_values.h"
#include "util/error.h"

using namespace nnstate;

namespace {

// 83 noisy regression samples (9 batches of 10 per epoch, the last of 3), target 2 of sample
// 40 NaN: with shuffling it lands in a different batch every epoch.
struct Data {
  std::vector<float> x, y;
  Data() {
    Rng rng(8, RngStream::init);
    for (int i = 0; i < 83; ++i) {
      float sum = 0.0f;
      for (int f = 0; f < 5; ++f) {
        x.push_back(rng.normal());
        sum += x.back() * static_cast<float>(f + 1);
      }
      y.push_back(0.3f * sum + 0.1f * rng.normal());
      y.push_back(std::tanh(sum));
    }
    y[2 * 40 + 1] = std::numeric_limits<float>::quiet_NaN();
  }
  Dataset dataset() const {
    return Dataset{x.data(), y.data(), static_cast<int64_t>(y.size() / 2), 5, 2};
  }
};

// BatchNorm (buffers the snapshot must restore) and Dropout (an RNG the run consumes).
void build(Model &m) {
  LayerConfig l(LayerKind::linear);
  auto &l_o = l.as<LinearConfig>();
  l_o.in_features = 5;
  l_o.out_features = 8;
  m.add_layer(l);
  LayerConfig bn(LayerKind::batch_norm1d);
  auto &bn_o = bn.as<BatchNormConfig>();
  bn_o.num_features = 8;
  m.add_layer(bn);
  LayerConfig relu(LayerKind::relu);
  m.add_layer(relu);
  LayerConfig drop(LayerKind::dropout);
  auto &drop_o = drop.as<DropoutConfig>();
  drop_o.p = 0.1;
  m.add_layer(drop);
  l_o.in_features = 8;
  l_o.out_features = 2;
  m.add_layer(l);
  m.set_loss(LossKind::mse);
  OptimizerConfig adam = default_optimizer_config(OptimizerKind::adam);
  adam.lr = 0.05;
  m.set_optimizer(adam);
}

TrainerConfig config() {
  TrainerConfig c;
  c.epochs = 4;
  c.batch_size = 10;
  c.accumulate_steps = 3;  // groups of 3, 3, 3 micro-batches per epoch
  c.clip.max_norm = 0.5;
  c.clip.clip_value = 0.4;
  c.rollback.enabled = true;
  c.rollback.snapshot_every = 2;
  c.rollback.skip_batches = 2;
  c.rollback.max_rollbacks = 10;
  c.rollback.spike_factor = 20.0;
  c.scheduler.kind = SchedulerKind::exponential;
  c.scheduler.gamma = 0.97;
  c.scheduler.per_batch = true;
  return c;
}

std::vector<double> all_state(Trainer &t) {
  std::vector<double> out;
  append_model_state(t, out);
  out.push_back(t.model().optimizer()->lr());
  const TrainerState &s = t.state();
  for (const HistoryRow &r : s.history) out.push_back(r.loss);
  for (const RollbackEvent &e : s.rollbacks) {
    out.insert(out.end(), {static_cast<double>(e.global_step), static_cast<double>(e.restored_step),
                           e.loss, e.lr, static_cast<double>(e.reason)});
  }
  out.insert(out.end(), {static_cast<double>(s.optimizer_steps), s.loss_average,
                         static_cast<double>(s.snapshot_step)});
  return out;
}

bool same_bits(const std::vector<double> &a, const std::vector<double> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE(
    "resumed at every batch -- mid-accumulation, around rollbacks -- the run ends bitwise "
    "identical") {
  const Data data;
  const Dataset train = data.dataset();
  Model reference_model(3);
  build(reference_model);
  Trainer reference(reference_model, config());
  CHECK(reference.fit(train, nullptr, nullptr) == StopReason::completed);
  const std::vector<double> expected = all_state(reference);
  REQUIRE(reference.state().rollbacks.size() >= 3);  // one per epoch at least
  for (const HistoryRow &row : reference.state().history) REQUIRE(std::isfinite(row.loss));

  std::vector<unsigned char> buffer(1 << 20);
  int mid_group = 0, skipping = 0, after_rollback = 0;
  for (int64_t cut = 1; cut < reference.state().global_step; ++cut) {
    INFO("saved after batch " << cut);
    Model first_model(3);
    build(first_model);
    Trainer first(first_model, config());
    StopAtStep stop;
    stop.step = cut;
    first.fit(train, nullptr, &stop);
    mid_group += first.state().micro_in_group > 0;
    skipping += first.state().skip_remaining > 0;
    after_rollback += !first.state().rollbacks.empty();
    checkpoint::SaveOptions save;
    save.trainer = &first;
    const size_t size = checkpoint::save_to_buffer(first_model, buffer.data(), buffer.size(), save);
    REQUIRE(size <= buffer.size());
    checkpoint::MemorySource source(buffer.data(), size, false, "guarded.nnst");

    Model second_model(77);  // another seed: everything must come from the file
    build(second_model);
    Trainer second(second_model, config());
    checkpoint::resume_trainer(second, source);
    CHECK(second.state().micro_in_group == first.state().micro_in_group);
    second.fit(train, nullptr, nullptr);
    CHECK(same_bits(all_state(second), expected));
  }
  // The cuts covered every new state.
  CHECK(mid_group > 10);
  CHECK(skipping >= 3);
  CHECK(after_rollback > 10);
}

TEST_CASE("a run that gave up resumes as ended") {
  const Data data;
  Model model(3);
  build(model);
  TrainerConfig c = config();
  c.rollback.max_rollbacks = 1;
  Trainer trainer(model, c);
  REQUIRE(trainer.fit(data.dataset(), nullptr, nullptr) == StopReason::diverged);
  std::vector<unsigned char> buffer(1 << 20);
  checkpoint::SaveOptions save;
  save.trainer = &trainer;
  const size_t size = checkpoint::save_to_buffer(model, buffer.data(), buffer.size(), save);
  checkpoint::MemorySource source(buffer.data(), size, false, "ended.nnst");
  Model again_model(3);
  build(again_model);
  Trainer again(again_model, c);
  checkpoint::resume_trainer(again, source);
  CHECK(again.state().diverged);
  CHECK(again.state().rollbacks.back().gave_up);
  CHECK(again.fit(data.dataset(), nullptr, nullptr) == StopReason::diverged);
  CHECK(same_bits(all_state(again), all_state(trainer)));
}

TEST_CASE("resuming with other accumulation, clipping or rollback settings is refused") {
  Model model(3);
  build(model);
  Trainer trainer(model, config());
  std::vector<unsigned char> buffer(1 << 20);
  checkpoint::SaveOptions save;
  save.trainer = &trainer;
  const size_t size = checkpoint::save_to_buffer(model, buffer.data(), buffer.size(), save);
  checkpoint::MemorySource source(buffer.data(), size, false, "t.nnst");
  Model other(3);
  build(other);
  TrainerConfig different = config();
  different.accumulate_steps = 2;
  different.clip.max_norm = 0.5000001;  // differs only in the 7th digit
  different.rollback.enabled = false;
  Trainer mismatched(other, different);
  try {
    checkpoint::resume_trainer(mismatched, source);
    FAIL("a differently set up trainer was restored");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_STATE);
    const std::string message = e.what();
    CHECK(message.find("accumulate_steps: file 3, trainer 2") != std::string::npos);
    CHECK(message.find("gradient clipping: file norm 0.5 of order 2, value 0.40000000000000002, "
                       "trainer norm 0.50000009999999995") != std::string::npos);
    CHECK(message.find("divergence rollback: file max_rollbacks 10") != std::string::npos);
  }
}
