// Frozen parameters: no update, no optimizer state, no backward where nothing before trains,
// input gradients through a frozen layer to a trainable one before it, state kept or fresh when
// the set changes, BatchNorm of a frozen module optionally in eval mode.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "train/model.h"
#include "train/network_tensors.h"
#include "util/error.h"

using namespace nnstate;

namespace {

LayerConfig linear(int64_t in, int64_t out) {
  LayerConfig c(LayerKind::linear);
  c.as<LinearConfig>().in_features = in;
  c.as<LinearConfig>().out_features = out;
  return c;
}

LayerConfig of_kind(LayerKind kind) {
  return LayerConfig(kind);
}

// Linear(4, 5), ReLU, Linear(5, 3), ReLU, Linear(3, 2), MSE, Adam: weights from the seed.
void build(Model &m, bool batch_norm = false) {
  m.add_layer(linear(4, 5));
  if (batch_norm) {
    LayerConfig bn = of_kind(LayerKind::batch_norm1d);
    bn.as<BatchNormConfig>().num_features = 5;
    m.add_layer(bn);
  } else {
    m.add_layer(of_kind(LayerKind::relu));
  }
  m.add_layer(linear(5, 3));
  m.add_layer(of_kind(LayerKind::relu));
  m.add_layer(linear(3, 2));
  m.set_loss(LossKind::mse);
}

std::map<std::string, TensorRef> by_name(Model &m) {
  std::map<std::string, TensorRef> out;
  for (TensorRef &r : network_tensors(m.network())) out[r.name] = r;
  return out;
}

struct Batch {
  std::vector<float> x, y;
  Batch() {
    for (int k = 0; k < 6 * 4; ++k) x.push_back(static_cast<float>(std::sin(0.7 * k + 0.1)));
    for (int k = 0; k < 6 * 2; ++k) y.push_back(static_cast<float>(std::cos(0.3 * k)));
  }
  void forward_backward(Model &m) {
    m.forward_loss(x.data(), 24, y.data(), 12, 6);
    m.backward();
  }
  void step(Model &m) { m.train_step(x.data(), 24, y.data(), 12, 6); }
};

struct Steps : OptimizerStateVisitor {
  std::map<std::string, int64_t> steps;
  std::map<std::string, Tensor *> tensors;
  void step(const std::string &param, int64_t &step) override { steps[param] = step; }
  void tensor(const std::string &param, const char *state, Tensor &value) override {
    tensors[param + "." + state] = &value;
  }
};

Steps state_of(Model &m) {
  Steps s;
  m.optimizer()->visit_state(s);
  return s;
}

std::vector<float> values(const Tensor &t) {
  return std::vector<float>(t.data(), t.data() + t.numel());
}

}  // namespace

TEST_CASE("frozen parameters get no update and no optimizer state") {
  Model m(7);
  build(m);
  m.set_requires_grad({"0"}, false);
  m.set_optimizer(default_optimizer_config(OptimizerKind::adam));
  CHECK(m.frozen() == std::vector<std::string>{"0.bias", "0.weight"});
  auto t = by_name(m);
  const std::vector<float> w0 = values(*t["0.weight"].value), w4 = values(*t["4.weight"].value);
  Batch b;
  b.step(m);
  CHECK(values(*t["0.weight"].value) == w0);
  CHECK(values(*t["4.weight"].value) != w4);
  const Steps s = state_of(m);
  CHECK(s.steps.count("0.weight") == 0);
  CHECK(s.steps.count("0.bias") == 0);
  CHECK(s.steps.at("2.weight") == 1);
  CHECK(s.tensors.size() == 8);  // exp_avg and exp_avg_sq of 2.* and 4.* only
}

TEST_CASE("a frozen first layer runs no backward; a frozen middle layer still passes gradients") {
  Batch b;
  Model plain(7), first(7), middle(7);
  for (Model *m : {&plain, &first, &middle}) {
    build(*m);
    m->set_optimizer(default_optimizer_config(OptimizerKind::adam));
  }
  first.set_requires_grad({"0."}, false);
  middle.set_requires_grad({"2"}, false);
  // Sentinels show which gradients backward wrote.
  for (Model *m : {&plain, &first, &middle}) {
    for (TensorRef &r : network_parameters(m->network())) r.grad->fill(7.0f);
    b.forward_backward(*m);
  }
  auto p = by_name(plain), f = by_name(first), mid = by_name(middle);
  for (const char *name : {"0.weight", "0.bias"}) {
    INFO(name);
    CHECK(values(*f[name].grad) == std::vector<float>(f[name].grad->numel(), 7.0f));
    CHECK(values(*mid[name].grad) == values(*p[name].grad));  // through the frozen layer 2
  }
  for (const char *name : {"2.weight", "4.weight", "4.bias"}) {
    INFO(name);
    CHECK(values(*f[name].grad) == values(*p[name].grad));
  }
  CHECK(values(*mid["4.weight"].grad) == values(*p["4.weight"].grad));
}

TEST_CASE("unfreezing keeps the trained parameters' state and starts the unfrozen ones fresh") {
  Model m(7);
  build(m);
  m.set_optimizer(default_optimizer_config(OptimizerKind::adam));
  m.set_requires_grad({"0"}, false);
  Batch b;
  b.step(m);
  b.step(m);
  const std::vector<float> moment = values(*state_of(m).tensors.at("2.weight.exp_avg"));
  m.set_requires_grad({"0.weight"}, true);
  CHECK(m.frozen() == std::vector<std::string>{"0.bias"});
  Steps s = state_of(m);
  CHECK(s.steps.at("2.weight") == 2);
  CHECK(values(*s.tensors.at("2.weight.exp_avg")) == moment);
  CHECK(s.steps.at("0.weight") == 0);
  CHECK(values(*s.tensors.at("0.weight.exp_avg")) == std::vector<float>(20, 0.0f));
  CHECK(s.steps.count("0.bias") == 0);
  // Freezing drops the state (as no state is kept for frozen parameters).
  m.set_requires_grad({"2"}, false);
  s = state_of(m);
  CHECK(s.steps.count("2.weight") == 0);
  b.step(m);
  CHECK(state_of(m).steps.at("0.weight") == 1);
}

TEST_CASE("a freeze pattern that selects no parameter is refused, naming it") {
  Model m(7);
  build(m);
  try {
    m.set_requires_grad({"features."}, false);
    FAIL("accepted");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_NOT_FOUND);
    CHECK(std::string(e.what()).find("freeze: \"features.\" names no parameter") == 0);
  }
  CHECK(m.frozen().empty());
  CHECK_THROWS_WITH(m.set_frozen({"1.weight"}),
                    "frozen tensor \"1.weight\" is not a parameter of the network");
  CHECK_THROWS_WITH(m.set_frozen({"0.bias", "0.bias"}),
                    "frozen parameter \"0.bias\" is listed twice");
}

TEST_CASE("a param group may hold only frozen parameters; a pattern selecting nothing is refused") {
  Model m(7);
  build(m);
  m.set_requires_grad({"0"}, false);
  OptimizerConfig c = default_optimizer_config(OptimizerKind::adam);
  ParamGroupConfig g;
  g.params = {"0"};
  g.options.lr = 1e-4;
  c.groups = {g};
  m.set_optimizer(c);
  CHECK(m.optimizer()->group_count() == 2);
  c.groups[0].params = {"9"};
  CHECK_THROWS_WITH(m.set_optimizer(c),
                    doctest::Contains("param group 0: \"9\" names no parameter"));
}

TEST_CASE("BatchNorm of a frozen module keeps its running statistics with the eval option") {
  for (bool eval : {false, true}) {
    INFO("eval " << eval);
    Model m(7);
    build(m, true);
    m.set_requires_grad({"0", "1"}, false);
    m.set_frozen_batchnorm_eval(eval);
    m.set_optimizer(default_optimizer_config(OptimizerKind::adam));
    auto t = by_name(m);
    const std::vector<float> mean = values(*t["1.running_mean"].value);
    const float batches = (*t["1.num_batches_tracked"].value)[0];
    Batch b;
    b.step(m);
    CHECK((values(*t["1.running_mean"].value) == mean) == eval);
    CHECK(((*t["1.num_batches_tracked"].value)[0] == batches) == eval);
  }
}

TEST_CASE("frozen BatchNorm in eval mode and the deterministic mode are refused together") {
  Model m(7);
  build(m, true);
  m.set_requires_grad({"0", "1"}, false);
  m.set_frozen_batchnorm_eval(true);
  CHECK_THROWS_WITH(m.set_deterministic(4, 1), doctest::Contains("cannot be combined"));
  CHECK(m.frozen_batchnorm_eval());
  m.set_frozen_batchnorm_eval(false);
  m.set_deterministic(4, 1);
  CHECK_THROWS_WITH(m.set_frozen_batchnorm_eval(true), doctest::Contains("cannot be combined"));
  CHECK_FALSE(m.frozen_batchnorm_eval());
}
