// The network's tensors as references: every tensor in visit_state order for early stopping and
// checkpoints, the parameters alone for the optimizer.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "train/model.h"
#include "train/network_tensors.h"

using namespace nnstate;

namespace {

// Linear(4, 3) then BatchNorm1d(3): two parameters each, and BatchNorm's three buffers.
void build(Model &model) {
  LayerConfig linear(LayerKind::linear);
  auto &linear_o = linear.as<LinearConfig>();
  linear_o.in_features = 4;
  linear_o.out_features = 3;
  model.add_layer(linear);
  LayerConfig norm(LayerKind::batch_norm1d);
  auto &norm_o = norm.as<BatchNormConfig>();
  norm_o.num_features = 3;
  model.add_layer(norm);
}

std::vector<std::string> names_of(const std::vector<TensorRef> &refs) {
  std::vector<std::string> names;
  for (const TensorRef &r : refs) names.push_back(r.name);
  return names;
}

// What the network's own visitor reports, to compare the lists against.
struct Reported : StateVisitor {
  std::vector<Tensor *> values, grads;
  void tensor(const std::string &, TensorRole, Tensor &value, Tensor *grad) override {
    values.push_back(&value);
    grads.push_back(grad);
  }
};

}  // namespace

TEST_CASE(
    "network_tensors lists parameters and buffers in visit order, network_parameters the "
    "parameters") {
  Model model(1);
  build(model);
  Reported reported;
  model.network().visit_state(reported);

  const std::vector<TensorRef> all = network_tensors(model.network());
  CHECK(names_of(all) == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias",
                                                  "1.running_mean", "1.running_var",
                                                  "1.num_batches_tracked"});
  REQUIRE(all.size() == reported.values.size());
  for (size_t i = 0; i < all.size(); ++i) {
    INFO(all[i].name);
    CHECK(all[i].value == reported.values[i]);
    CHECK(all[i].grad == reported.grads[i]);
    CHECK(all[i].is_parameter() == (i < 4));
  }

  const std::vector<TensorRef> params = network_parameters(model.network());
  CHECK(names_of(params) == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"});
  for (size_t i = 0; i < params.size(); ++i) {
    CHECK(params[i].value == all[i].value);
    CHECK(params[i].grad == all[i].grad);
  }
}

TEST_CASE("the model's optimizer holds state for exactly the network's parameters") {
  Model model(1);
  build(model);
  model.set_optimizer(default_optimizer_config(OptimizerKind::adam));
  struct Names : OptimizerStateVisitor {
    std::vector<std::string> steps;
    void step(const std::string &param, int64_t &) override { steps.push_back(param); }
    void tensor(const std::string &, const char *, Tensor &) override {}
  } names;
  model.optimizer()->visit_state(names);
  CHECK(names.steps == names_of(network_parameters(model.network())));
}
