// Trainer checkpoints: the whole training-loop state (position inside the epoch, shuffle stream,
// partial sums, history, ReduceLROnPlateau and early stopping with its best weights) goes
// through the checkpoint file, so a run restored into fresh objects ends bitwise identical.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "checkpoint/save.h"
#include "train/trainer.h"
#include "trainer_state_values.h"
#include "util/error.h"

using namespace nnstate;

namespace {

struct Data {
  std::vector<float> x, y;
  Data() {
    Rng rng(5, RngStream::init);
    for (int i = 0; i < 180; ++i) {
      for (int f = 0; f < 3; ++f) x.push_back(rng.normal() + (f == i % 3 ? 1.2f : 0.0f));
      y.push_back(static_cast<float>(i % 3));
    }
  }
  Dataset part(int64_t first, int64_t count) const {
    Dataset d;
    d.inputs = x.data() + first * 3;
    d.targets = y.data() + first;
    d.samples = count;
    d.input_size = 3;
    d.target_size = 1;
    return d;
  }
};

void build(Model &m) {
  LayerConfig l(LayerKind::linear);
  auto &l_o = l.as<LinearConfig>();
  l_o.in_features = 3;
  l_o.out_features = 12;
  m.add_layer(l);
  LayerConfig drop(LayerKind::dropout);
  auto &drop_o = drop.as<DropoutConfig>();
  drop_o.p = 0.2;
  m.add_layer(drop);
  LayerConfig relu(LayerKind::relu);
  m.add_layer(relu);
  l_o.in_features = 12;
  l_o.out_features = 3;
  m.add_layer(l);
  m.set_loss(LossKind::cross_entropy);
  OptimizerConfig adam = default_optimizer_config(OptimizerKind::adam);
  adam.lr = 0.03;
  m.set_optimizer(adam);
}

TrainerConfig config() {
  TrainerConfig c;
  c.epochs = 7;
  c.batch_size = 25;  // 140 samples: 5 full batches and one of 15
  c.scheduler.kind = SchedulerKind::reduce_on_plateau;
  c.scheduler.patience = 0;
  c.scheduler.factor = 0.5;
  c.scheduler.threshold = 0.02;
  c.early_stopping = true;
  c.early_stopping_config.patience = 3;
  c.early_stopping_config.restore_best_weights = true;
  return c;
}

std::vector<float> all_state(Trainer &t) {
  std::vector<float> out;
  append_model_state(t, out);
  for (const HistoryRow &r : t.state().history) {
    out.push_back(static_cast<float>(r.loss));
    out.push_back(static_cast<float>(r.val_loss));
    out.push_back(static_cast<float>(r.lr));
  }
  out.push_back(static_cast<float>(t.early_stopping()->state().best));
  out.push_back(static_cast<float>(t.early_stopping()->state().wait));
  return out;
}

}  // namespace

TEST_CASE("a trainer restored from its checkpoint at any batch continues bitwise identically") {
  const Data data;
  const Dataset train = data.part(0, 140), val = data.part(140, 40);
  Model reference_model(21);
  build(reference_model);
  Trainer reference(reference_model, config());
  reference.fit(train, &val, nullptr);
  const std::vector<float> expected = all_state(reference);
  REQUIRE(reference.state().history.size() >= 3);

  std::vector<unsigned char> buffer(1 << 20);
  for (int64_t cut : {1, 5, 6, 9, 13, 20}) {
    INFO("saved after step " << cut);
    Model first_model(21);
    build(first_model);
    Trainer first(first_model, config());
    StopAtStep stop;
    stop.step = cut;
    first.fit(train, &val, &stop);
    checkpoint::SaveOptions save;
    save.trainer = &first;
    const size_t size = checkpoint::save_to_buffer(first_model, buffer.data(), buffer.size(), save);
    REQUIRE(size <= buffer.size());
    checkpoint::MemorySource source(buffer.data(), size, false, "trainer.nnst");
    checkpoint::verify_data(source, checkpoint::read_contents(source));

    Model second_model(999);  // another seed: everything must come from the file
    build(second_model);
    Trainer second(second_model, config());
    checkpoint::resume_trainer(second, source);
    CHECK(second.state().global_step == cut);
    second.fit(train, &val, nullptr);
    const std::vector<float> actual = all_state(second);
    REQUIRE(actual.size() == expected.size());
    CHECK(std::memcmp(actual.data(), expected.data(), actual.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("a trainer set up differently is refused with every difference") {
  const Data data;
  Model model(1);
  build(model);
  Trainer trainer(model, config());
  std::vector<unsigned char> buffer(1 << 20);
  checkpoint::SaveOptions save;
  save.trainer = &trainer;
  const size_t size = checkpoint::save_to_buffer(model, buffer.data(), buffer.size(), save);
  checkpoint::MemorySource source(buffer.data(), size, false, "t.nnst");

  Model other(1);
  build(other);
  TrainerConfig different = config();
  different.batch_size = 10;
  different.early_stopping = false;
  Trainer mismatched(other, different);
  try {
    checkpoint::resume_trainer(mismatched, source);
    FAIL("a differently set up trainer was restored");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_STATE);
    const std::string message = e.what();
    CHECK(message.find("batch_size: file 25, trainer 10") != std::string::npos);
    CHECK(message.find("early stopping: file on, trainer off") != std::string::npos);
  }
  // A plain network checkpoint has no training-loop state to resume.
  const size_t plain = checkpoint::save_to_buffer(model, buffer.data(), buffer.size(), {});
  checkpoint::MemorySource network_only(buffer.data(), plain, false, "n.nnst");
  Trainer fresh(other, config());
  CHECK_THROWS_AS(checkpoint::resume_trainer(fresh, network_only), Error);
}
