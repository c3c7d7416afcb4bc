// Early stopping against Keras 3's EarlyStopping rules on scripted metric sequences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "callbacks/early_stopping.h"
#include "util/error.h"

using namespace nnstate;

namespace {

// The tensors of a small network without building one: early stopping sees only references.
// Two parameters and a buffer (no gradient), which the best weights include as Keras does.
struct Weights {
  Tensor weight{Shape{3, 2}}, weight_grad{Shape{3, 2}}, bias{Shape{3}}, bias_grad{Shape{3}};
  Tensor running_mean{Shape{3}};
  std::vector<TensorRef> refs() {
    return {TensorRef{"0.weight", &weight, &weight_grad}, TensorRef{"0.bias", &bias, &bias_grad},
            TensorRef{"1.running_mean", &running_mean, nullptr}};
  }
  std::vector<Tensor *> tensors() { return {&weight, &bias, &running_mean}; }
};

// Runs the callback over `values` (epochs 0, 1, ...); returns the epoch that stopped, or -1.
int64_t run(EarlyStopping &es, const std::vector<double> &values) {
  Weights weights;
  for (size_t epoch = 0; epoch < values.size(); ++epoch) {
    if (es.on_epoch_end(static_cast<int64_t>(epoch), values[epoch], weights.refs())) {
      CHECK(es.state().stopped_epoch == static_cast<int64_t>(epoch));
      return static_cast<int64_t>(epoch);
    }
  }
  return -1;
}

EarlyStoppingConfig with_patience(int64_t patience, bool restore_best_weights = false) {
  EarlyStoppingConfig c;
  c.patience = patience;
  c.restore_best_weights = restore_best_weights;
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

// The weights of an epoch that "trained": every value unique to the epoch.
std::vector<float> train_epoch(Weights &weights, size_t epoch) {
  std::vector<float> snapshot;
  for (Tensor *t : weights.tensors()) {
    for (int64_t i = 0; i < t->numel(); ++i) {
      (*t)[i] = std::sin(static_cast<float>(epoch * 100 + static_cast<size_t>(i))) * 3.0f;
      snapshot.push_back((*t)[i]);
    }
  }
  return snapshot;
}

std::vector<float> values_of(Weights &weights) {
  std::vector<float> out;
  for (Tensor *t : weights.tensors()) out.insert(out.end(), t->data(), t->data() + t->numel());
  return out;
}

TEST_CASE("restore_best_weights puts back the exact bytes of the best epoch, buffers included") {
  EarlyStopping es(with_patience(2, true));
  Weights weights;
  const std::vector<double> values = {1.0, 0.5, 0.7, 0.8, 0.9};
  std::vector<std::vector<float>> snapshots;
  int64_t stopped = -1;
  for (size_t epoch = 0; epoch < values.size() && stopped < 0; ++epoch) {
    snapshots.push_back(train_epoch(weights, epoch));
    if (es.on_epoch_end(static_cast<int64_t>(epoch), values[epoch], weights.refs())) {
      stopped = static_cast<int64_t>(epoch);
    }
  }
  CHECK(stopped == 3);
  CHECK(es.state().best_epoch == 1);
  es.on_train_end(weights.refs());
  const std::vector<float> restored = values_of(weights);
  REQUIRE(restored.size() == snapshots[1].size());
  CHECK(std::memcmp(restored.data(), snapshots[1].data(), restored.size() * sizeof(float)) == 0);
  REQUIRE(es.state().best_weights.size() == 3);
  CHECK(es.state().best_weights[0].first == "0.weight");
  CHECK(es.state().best_weights[2].first == "1.running_mean");
}

// The status of restoring into `refs`; the message must name `tensor`.
nnstate_status restore_status(EarlyStopping &es, const std::vector<TensorRef> &refs,
                              const std::string &tensor) {
  try {
    es.on_train_end(refs);
  } catch (const Error &e) {
    CHECK(std::string(e.what()).find("\"" + tensor + "\"") != std::string::npos);
    return e.status();
  }
  return NNSTATE_OK;
}

TEST_CASE("best weights that do not match the tensors are refused and change nothing") {
  EarlyStopping es(with_patience(2, true));
  Weights weights;
  const std::vector<float> best = train_epoch(weights, 0);
  es.on_epoch_end(0, 1.0, weights.refs());
  const std::vector<float> current = train_epoch(weights, 1);

  std::vector<TensorRef> renamed = weights.refs();
  renamed[2].name = "1.running_var";
  CHECK(restore_status(es, renamed, "1.running_var") == NNSTATE_ERR_STATE);
  Tensor wider(Shape{4});
  std::vector<TensorRef> reshaped = weights.refs();
  reshaped[2].value = &wider;
  CHECK(restore_status(es, reshaped, "1.running_mean") == NNSTATE_ERR_STATE);
  std::vector<TensorRef> longer = weights.refs();
  longer.push_back(TensorRef{"2.weight", &wider, nullptr});
  CHECK(restore_status(es, longer, "2.weight") == NNSTATE_ERR_STATE);
  // The tensors before the mismatch matched, yet none was written.
  const std::vector<float> after = values_of(weights);
  CHECK(std::memcmp(after.data(), current.data(), after.size() * sizeof(float)) == 0);
  CHECK(std::all_of(wider.data(), wider.data() + 4, [](float v) { return v == 0.0f; }));
  // The matching tensors take the captured epoch.
  CHECK(restore_status(es, weights.refs(), "") == NNSTATE_OK);
  CHECK(values_of(weights) == best);
}
