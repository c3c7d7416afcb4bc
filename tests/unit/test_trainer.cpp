// The training loop: history, callbacks, schedules and early stopping inside fit(), and resuming
// from any batch boundary -- in the same trainer and in fresh objects given only the saved
// state -- ending bitwise identical to an uninterrupted run.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <vector>

#include "train/trainer.h"
#include "util/error.h"

using namespace nnstate;

namespace {

// Three Gaussian blobs in 4-D: learnable, but not instantly.
struct Blobs {
  std::vector<float> x, y;
  Dataset dataset(int64_t first, int64_t count) const {
    Dataset d;
    d.inputs = x.data() + first * 4;
    d.targets = y.data() + first;
    d.samples = count;
    d.input_size = 4;
    d.target_size = 1;
    return d;
  }
  Blobs() {
    Rng rng(99, RngStream::init);
    for (int i = 0; i < 260; ++i) {
      int label = i % 3;
      for (int f = 0; f < 4; ++f) x.push_back(rng.normal() * 1.5f + (f == label ? 1.5f : 0.0f));
      y.push_back(static_cast<float>(label));
    }
  }
};

void build(Model &model) {
  LayerConfig l(LayerKind::linear);
  auto &l_o = l.as<LinearConfig>();
  l_o.in_features = 4;
  l_o.out_features = 16;
  model.add_layer(l);
  LayerConfig act(LayerKind::tanh);
  model.add_layer(act);
  l_o.in_features = 16;
  l_o.out_features = 3;
  model.add_layer(l);
  model.set_loss(LossKind::cross_entropy);
  OptimizerConfig adam = default_optimizer_config(OptimizerKind::adam);
  adam.lr = 0.02;
  model.set_optimizer(adam);
}

TrainerConfig full_config() {
  TrainerConfig c;
  c.epochs = 8;
  c.batch_size = 32;  // 200 training samples: 6 full batches and one of 8
  c.scheduler.kind = SchedulerKind::reduce_on_plateau;
  c.scheduler.patience = 0;
  c.scheduler.factor = 0.5;
  c.scheduler.threshold = 0.05;
  c.early_stopping = true;
  c.early_stopping_config.patience = 3;
  c.early_stopping_config.min_delta = 0.01;
  c.early_stopping_config.restore_best_weights = true;
  return c;
}

// Everything that must match between two runs: tensors, optimizer state, trainer state.
struct Snapshot {
  std::map<std::string, std::vector<float>> tensors;
  std::map<std::string, int64_t> steps;
  std::vector<HistoryRow> history;
  double lr = 0;
  int64_t epoch = 0, global_step = 0;
  EarlyStoppingState early;

  explicit Snapshot(Trainer &t) {
    struct Net : StateVisitor {
      Snapshot &s;
      explicit Net(Snapshot &o) : s(o) {}
      void tensor(const std::string &name, TensorRole, Tensor &v, Tensor *) override {
        s.tensors[name].assign(v.data(), v.data() + v.numel());
      }
    } net(*this);
    t.model().network().visit_state(net);
    struct Opt : OptimizerStateVisitor {
      Snapshot &s;
      explicit Opt(Snapshot &o) : s(o) {}
      void step(const std::string &p, int64_t &step) override { s.steps[p] = step; }
      void tensor(const std::string &p, const char *n, Tensor &v) override {
        s.tensors[p + "/" + n].assign(v.data(), v.data() + v.numel());
      }
    } opt(*this);
    t.model().optimizer()->visit_state(opt);
    history = t.state().history;
    lr = t.model().optimizer()->lr();
    epoch = t.state().epoch;
    global_step = t.state().global_step;
    if (t.early_stopping()) early = t.early_stopping()->state();
  }
};

void check_identical(const Snapshot &a, const Snapshot &b) {
  CHECK(a.epoch == b.epoch);
  CHECK(a.global_step == b.global_step);
  CHECK(a.lr == b.lr);
  CHECK(a.steps == b.steps);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (const auto &tensor : a.tensors) {
    const std::string &name = tensor.first;  // not a binding: INFO's lambda takes variables only
    const auto &values = tensor.second;
    INFO("tensor " << name);
    const auto &other = b.tensors.at(name);
    REQUIRE(values.size() == other.size());
    CHECK(std::memcmp(values.data(), other.data(), values.size() * sizeof(float)) == 0);
  }
  REQUIRE(a.history.size() == b.history.size());
  for (size_t i = 0; i < a.history.size(); ++i) {
    INFO("history row " << i);
    const HistoryRow &x = a.history[i], &y = b.history[i];
    CHECK(x.epoch == y.epoch);
    CHECK(std::memcmp(&x.loss, &y.loss, sizeof(double)) == 0);
    CHECK(std::memcmp(&x.accuracy, &y.accuracy, sizeof(double)) == 0);
    CHECK(std::memcmp(&x.val_loss, &y.val_loss, sizeof(double)) == 0);
    CHECK(std::memcmp(&x.val_accuracy, &y.val_accuracy, sizeof(double)) == 0);
    CHECK(x.lr == y.lr);
  }
  CHECK(a.early.best == b.early.best);
  CHECK(a.early.best_epoch == b.early.best_epoch);
  CHECK(a.early.wait == b.early.wait);
  CHECK(a.early.stopped_epoch == b.early.stopped_epoch);
}

// Stops after a given global step (a crash at that batch boundary, as far as state goes).
struct StopAtStep : TrainerObserver {
  int64_t step;
  explicit StopAtStep(int64_t s) : step(s) {}
  bool on_batch_end(const BatchInfo &info) override { return info.global_step < step; }
};

// Copies every piece of state from one trainer into another built from scratch: exactly what a
// checkpoint must carry.
void transfer_state(Trainer &from, Trainer &to) {
  struct Collect : StateVisitor {
    std::vector<Tensor *> tensors;
    void tensor(const std::string &, TensorRole, Tensor &v, Tensor *) override {
      tensors.push_back(&v);
    }
  } a, b;
  from.model().network().visit_state(a);
  to.model().network().visit_state(b);
  for (size_t i = 0; i < a.tensors.size(); ++i) *b.tensors[i] = *a.tensors[i];
  struct OptCollect : OptimizerStateVisitor {
    std::vector<int64_t *> steps;
    std::vector<Tensor *> tensors;
    void step(const std::string &, int64_t &s) override { steps.push_back(&s); }
    void tensor(const std::string &, const char *, Tensor &v) override { tensors.push_back(&v); }
  } oa, ob;
  from.model().optimizer()->visit_state(oa);
  to.model().optimizer()->visit_state(ob);
  for (size_t i = 0; i < oa.steps.size(); ++i) *ob.steps[i] = *oa.steps[i];
  for (size_t i = 0; i < oa.tensors.size(); ++i) *ob.tensors[i] = *oa.tensors[i];
  to.model().optimizer()->set_lr(from.model().optimizer()->lr());
  to.scheduler()->restore(from.scheduler()->state());
  to.early_stopping()->state() = from.early_stopping()->state();
  to.state() = from.state();
}

}  // namespace

TEST_CASE("fit records a history row per epoch with losses, accuracy and learning rate") {
  const Blobs data;
  Model model(5);
  build(model);
  TrainerConfig c;
  c.epochs = 5;
  c.batch_size = 50;
  Trainer trainer(model, c);
  const Dataset train = data.dataset(0, 200), val = data.dataset(200, 60);
  struct Counter : TrainerObserver {
    int batches = 0, epochs = 0;
    bool on_batch_end(const BatchInfo &) override { return ++batches, true; }
    bool on_epoch_end(const HistoryRow &) override { return ++epochs, true; }
  } counter;
  CHECK(trainer.fit(train, &val, &counter) == StopReason::completed);
  CHECK(counter.batches == 20);
  CHECK(counter.epochs == 5);
  const auto &h = trainer.state().history;
  REQUIRE(h.size() == 5);
  CHECK(h[4].loss < h[0].loss);
  CHECK(h[4].val_accuracy > 0.6);
  CHECK(h[4].accuracy > 0.6);
  CHECK(h[2].lr == 0.02);
  CHECK(trainer.state().global_step == 20);
  // The history's validation loss is the sample-weighted mean over the validation set.
  float direct = model.evaluate(val.inputs, 60 * 4, val.targets, 60, 60);
  CHECK(std::fabs(h[4].val_loss - direct) < 1e-5);
}

TEST_CASE("an interrupted fit continued in the same trainer matches the uninterrupted run") {
  const Blobs data;
  const Dataset train = data.dataset(0, 200), val = data.dataset(200, 60);
  Model reference_model(7);
  build(reference_model);
  Trainer reference(reference_model, full_config());
  reference.fit(train, &val, nullptr);
  const Snapshot expected(reference);
  // The scenario exercises what resume must carry: the plateau rule reduced the rate and early
  // stopping has a best value and a wait count.
  REQUIRE(expected.history.size() >= 3);
  CHECK(expected.lr < 0.02);
  CHECK(expected.early.wait > 0);

  for (int64_t cut : {1, 3, 7, 8, 13, 20}) {
    INFO("interrupted after step " << cut);
    Model model(7);
    build(model);
    Trainer trainer(model, full_config());
    StopAtStep stopper(cut);
    CHECK(trainer.fit(train, &val, &stopper) == StopReason::requested);
    CHECK(trainer.state().global_step == cut);
    trainer.fit(train, &val, nullptr);
    check_identical(Snapshot(trainer), expected);
  }
}

TEST_CASE("fresh objects given the saved state continue bitwise identically") {
  const Blobs data;
  const Dataset train = data.dataset(0, 200), val = data.dataset(200, 60);
  Model reference_model(11);
  build(reference_model);
  Trainer reference(reference_model, full_config());
  reference.fit(train, &val, nullptr);
  const Snapshot expected(reference);

  for (int64_t cut : {2, 7, 9, 15, 22}) {
    INFO("interrupted after step " << cut);
    Model first_model(11);
    build(first_model);
    Trainer first(first_model, full_config());
    StopAtStep stopper(cut);
    first.fit(train, &val, &stopper);
    // A different seed: everything that matters must come from the transferred state.
    Model second_model(12345);
    build(second_model);
    Trainer second(second_model, full_config());
    transfer_state(first, second);
    second.fit(train, &val, nullptr);
    check_identical(Snapshot(second), expected);
  }
}

TEST_CASE("early stopping inside fit stops and restores the best weights") {
  const Blobs data;
  const Dataset train = data.dataset(0, 200), val = data.dataset(200, 60);
  Model model(3);
  build(model);
  TrainerConfig c;
  c.epochs = 50;
  c.batch_size = 20;
  c.early_stopping = true;
  c.early_stopping_config.monitor = "val_loss";
  c.early_stopping_config.patience = 2;
  c.early_stopping_config.restore_best_weights = true;
  c.early_stopping_config.min_delta = 0.05;
  Trainer trainer(model, c);
  CHECK(trainer.fit(train, &val, nullptr) == StopReason::early_stopping);
  const EarlyStoppingState &es = trainer.early_stopping()->state();
  CHECK(trainer.state().history.size() < 50);
  CHECK(es.stopped_epoch == static_cast<int64_t>(trainer.state().history.size()) - 1);
  // The network now holds the best epoch's weights: its validation loss is the best one.
  float now = model.evaluate(val.inputs, 60 * 4, val.targets, 60, 60);
  CHECK(std::fabs(now - trainer.state().history[es.best_epoch].val_loss) < 1e-5);
  // A finished run stays finished.
  CHECK(trainer.fit(train, &val, nullptr) == StopReason::early_stopping);
}

TEST_CASE("per-batch schedules step once per batch") {
  const Blobs data;
  Model model(3);
  build(model);
  TrainerConfig c;
  c.epochs = 2;
  c.batch_size = 100;
  c.scheduler.kind = SchedulerKind::exponential;
  c.scheduler.gamma = 0.5;
  c.scheduler.per_batch = true;
  Trainer trainer(model, c);
  trainer.fit(data.dataset(0, 200), nullptr, nullptr);
  CHECK(model.optimizer()->lr() == doctest::Approx(0.02 * std::pow(0.5, 4)).epsilon(1e-12));
}

TEST_CASE("fit refuses datasets and monitors that do not fit the model") {
  const Blobs data;
  Model model(3);
  build(model);
  TrainerConfig c = full_config();
  Trainer trainer(model, c);
  Dataset bad = data.dataset(0, 200);
  bad.input_size = 5;
  CHECK_THROWS_AS(trainer.fit(bad, nullptr, nullptr), Error);
  // Early stopping on val_loss needs a validation set.
  CHECK_THROWS_AS(trainer.fit(data.dataset(0, 200), nullptr, nullptr), Error);
  // A monitor that is no metric is refused when the trainer is made, not when fit() needs it.
  TrainerConfig bad_monitor = c;
  bad_monitor.early_stopping_config.monitor = "val_f1";
  CHECK_THROWS_WITH_AS(Trainer(model, bad_monitor),
                       doctest::Contains("early stopping monitors unknown metric \"val_f1\""),
                       Error);
}
