// Early stopping against Keras 3's EarlyStopping rules on scripted metric sequences.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "callbacks/early_stopping.h"
#include "layers/factory.h"
#include "layers/graph.h"
#include "random/rng.h"

using namespace nnstate;

namespace {

Graph small_network() {
  Graph net;
  LayerConfig c;
  c.kind = LayerKind::linear;
  c.in_features = 2;
  c.out_features = 3;
  Rng rng(1, RngStream::init);
  net.add(make_layer(c, &rng));
  return net;
}

// Runs the callback over `values` (epochs 0, 1, ...); returns the epoch that stopped, or -1.
int64_t run(EarlyStopping &es, const std::vector<double> &values) {
  Graph net = small_network();
  for (size_t epoch = 0; epoch < values.size(); ++epoch) {
    if (es.on_epoch_end(static_cast<int64_t>(epoch), values[epoch], net)) {
      CHECK(es.state().stopped_epoch == static_cast<int64_t>(epoch));
      return static_cast<int64_t>(epoch);
    }
  }
  return -1;
}

EarlyStoppingConfig with_patience(int64_t patience) {
  EarlyStoppingConfig c;
  c.patience = patience;
  return c;
}

}  // namespace

TEST_CASE("stops once `patience` epochs passed without improvement") {
  EarlyStopping es(with_patience(2));
  CHECK(run(es, {1.0, 0.9, 0.95, 0.97, 0.8}) == 3);
  CHECK(es.state().best == 0.9);
  CHECK(es.state().best_epoch == 1);
  EarlyStopping zero(with_patience(0));
  CHECK(run(zero, {1.0, 1.1}) == 1);
  EarlyStopping never(with_patience(2));
  CHECK(run(never, {3, 2, 1, 0.5}) == -1);
  CHECK(never.state().wait == 0);
}

TEST_CASE("min_delta: smaller changes are not improvements") {
  EarlyStoppingConfig c = with_patience(1);
  c.min_delta = -0.1;  // Keras uses |min_delta|
  EarlyStopping es(c);
  CHECK(run(es, {1.0, 0.95, 0.9}) == 1);
  CHECK(es.state().best == 1.0);
}

TEST_CASE("baseline only gates resetting the wait and an improving epoch never stops") {
  EarlyStoppingConfig c = with_patience(2);
  c.has_baseline = true;
  c.baseline = 0.5;
  EarlyStopping improving(c);
  CHECK(run(improving, {1.0, 0.9, 0.8, 0.7}) == -1);
  CHECK(improving.state().wait == 4);
  CHECK(improving.state().best == 0.7);
  EarlyStopping stalls(c);
  CHECK(run(stalls, {1.0, 0.9, 0.95}) == 2);
  EarlyStopping without_baseline(with_patience(2));
  CHECK(run(without_baseline, {1.0, 0.9, 0.95}) == -1);
  // Beating the baseline resets the wait as usual.
  EarlyStopping beaten(c);
  CHECK(run(beaten, {1.0, 0.4, 0.45, 0.42, 0.41}) == 3);
}

TEST_CASE("start_from_epoch ignores the first epochs") {
  EarlyStoppingConfig c = with_patience(1);
  c.start_from_epoch = 2;
  EarlyStopping es(c);
  CHECK(run(es, {0.1, 0.1, 1.0, 1.1, 1.2}) == 3);
  CHECK(es.state().best == 1.0);
  CHECK(es.state().best_epoch == 2);
}

TEST_CASE("mode: auto maximises accuracy-like metrics, explicit modes win") {
  EarlyStoppingConfig c = with_patience(1);
  c.monitor = "val_accuracy";
  EarlyStopping es(c);
  CHECK(es.mode() == MonitorMode::max);
  CHECK(run(es, {0.5, 0.6, 0.55}) == 2);
  CHECK(es.state().best == 0.6);
  c.monitor = "val_loss";
  CHECK(EarlyStopping(c).mode() == MonitorMode::min);
  c.mode = MonitorMode::max;
  CHECK(EarlyStopping(c).mode() == MonitorMode::max);
}

TEST_CASE("a NaN metric never improves") {
  EarlyStopping es(with_patience(1));
  CHECK(run(es, {1.0, std::numeric_limits<double>::quiet_NaN()}) == 1);
}

TEST_CASE("restore_best_weights puts back the exact bytes of the best epoch") {
  EarlyStoppingConfig c = with_patience(2);
  c.restore_best_weights = true;
  EarlyStopping es(c);
  Graph net = small_network();
  struct Weights : StateVisitor {
    std::vector<Tensor *> tensors;
    void tensor(const std::string &, TensorRole, Tensor &value, Tensor *) override {
      tensors.push_back(&value);
    }
  } weights;
  net.visit_state(weights);
  const std::vector<double> values = {1.0, 0.5, 0.7, 0.8, 0.9};
  std::vector<std::vector<float>> snapshots;
  int64_t stopped = -1;
  for (size_t epoch = 0; epoch < values.size() && stopped < 0; ++epoch) {
    // "Train": give every weight a value unique to this epoch.
    std::vector<float> snapshot;
    for (Tensor *t : weights.tensors) {
      for (int64_t i = 0; i < t->numel(); ++i) {
        (*t)[i] = std::sin(static_cast<float>(epoch * 100 + i)) * 3.0f;
        snapshot.push_back((*t)[i]);
      }
    }
    snapshots.push_back(snapshot);
    if (es.on_epoch_end(static_cast<int64_t>(epoch), values[epoch], net)) stopped = epoch;
  }
  CHECK(stopped == 3);
  CHECK(es.state().best_epoch == 1);
  es.on_train_end(net);
  std::vector<float> restored;
  for (Tensor *t : weights.tensors)
    restored.insert(restored.end(), t->data(), t->data() + t->numel());
  REQUIRE(restored.size() == snapshots[1].size());
  CHECK(std::memcmp(restored.data(), snapshots[1].data(), restored.size() * sizeof(float)) == 0);
  REQUIRE(es.state().best_weights.size() == 2);
  CHECK(es.state().best_weights[0].first == "0.weight");
}
