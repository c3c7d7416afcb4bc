// Golden checkpoints of every released format version (tests/data/v<major>/): committed once,
// never regenerated. Every later version of the library must still verify and load them and
// find the same values (first three of each tensor, as float bit patterns).
#include <doctest/doctest.h>

#include <cstring>
#include <map>

#include "checkpoint/data.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "checkpoint/save.h"

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

using Expected = std::vector<std::pair<std::string, std::vector<uint32_t>>>;

const Expected kMlpAdam = {
    {"0.weight", {0x3e0bd388u, 0xbb8b0b8eu, 0xbed067b8u}},
    {"0.bias", {0x3d9fdad2u, 0xbeca6fbau, 0x3edd6ee4u}},
    {"2.weight", {0x3d2f7e5eu, 0x3dbadfbau, 0xbe13c270u}},
    {"2.bias", {0x3e89e006u, 0xbe4aff3eu, 0xbd35f3fau}},
    {"optimizer.0.weight.exp_avg", {0xbb21d279u, 0xbb2eada2u, 0xbac987deu}},
    {"optimizer.0.weight.exp_avg_sq", {0x34ec3a7du, 0x34de923eu, 0x3499ca28u}},
    {"optimizer.0.bias.exp_avg", {0xbb22d16cu, 0x3c5f4684u, 0xbba509abu}},
    {"optimizer.0.bias.exp_avg_sq", {0x348650c0u, 0x37033bb8u, 0x35b9ba9au}},
    {"optimizer.2.weight.exp_avg", {0xbbb081f4u, 0x3b597ff1u, 0x3c8333a8u}},
    {"optimizer.2.weight.exp_avg_sq", {0x35f72198u, 0x356f2c82u, 0x37876841u}},
    {"optimizer.2.bias.exp_avg", {0x3d55adafu, 0xbd21d49bu, 0x3b66f028u}},
    {"optimizer.2.bias.exp_avg_sq", {0x3922bfcfu, 0x391c8b25u, 0x37c0c07fu}},
};

const Expected kMlpSgd = {
    {"0.weight", {0x3ee920f8u, 0x3e80056bu, 0xbec5b92bu}},
    {"0.bias", {0xbef946f9u, 0x3ee2b93fu, 0xbe7069b6u}},
    {"2.weight", {0x3e3ae391u, 0x3eb4e78du, 0x3c4b6248u}},
    {"optimizer.0.weight.momentum_buffer", {0xbd33ec60u, 0x3b73797cu, 0x3cded2f6u}},
    {"optimizer.0.bias.momentum_buffer", {0xbce5cca7u, 0x3ceefbceu, 0xbd3c0e2bu}},
    {"optimizer.2.weight.momentum_buffer", {0xbc50e0f9u, 0xbe3ea876u, 0x3de808b7u}},
};

std::string golden(const char *name) {
  return std::string(NNSTATE_GOLDEN_DIR) + "/v1/" + name;
}

uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// The values of the rebuilt model's tensors and optimizer state against the expectations.
void check_values(Model &model, const Expected &expected) {
  std::map<std::string, const Tensor *> tensors;
  struct Net : StateVisitor {
    std::map<std::string, const Tensor *> *out;
    void tensor(const std::string &name, TensorRole, Tensor &v, Tensor *) override {
      (*out)[name] = &v;
    }
  } net;
  net.out = &tensors;
  model.network().visit_state(net);
  struct Opt : OptimizerStateVisitor {
    std::map<std::string, const Tensor *> *out;
    void step(const std::string &, int64_t &) override {}
    void tensor(const std::string &p, const char *n, Tensor &v) override {
      (*out)["optimizer." + p + "." + n] = &v;
    }
  } opt;
  opt.out = &tensors;
  model.optimizer()->visit_state(opt);
  REQUIRE(tensors.size() == expected.size());
  for (const auto &e : expected) {
    REQUIRE(tensors.count(e.first) == 1);
    const Tensor &t = *tensors[e.first];
    for (size_t i = 0; i < e.second.size(); ++i) {
      INFO(e.first << "[" << i << "]");
      CHECK(bits(t[static_cast<int64_t>(i)]) == e.second[i]);
    }
  }
}

}  // namespace

TEST_CASE("golden v1: MLP with Adam state after 3 steps") {
  FileSource source(golden("mlp_adam.nnst"));
  Contents c = read_contents(source);
  verify_data(source, c);
  CHECK(c.format_major == 1);
  CHECK(c.format_minor == 0);
  CHECK(c.writer_version == "0.1.0");
  REQUIRE(c.layers.size() == 3);
  CHECK(c.layers[1].kind() == LayerKind::relu);
  CHECK(c.optimizer.kind == OptimizerKind::adam);
  CHECK(c.optimizer.lr == 0.01);
  CHECK(c.optimizer_step() == 3);
  REQUIRE(c.metadata.size() == 3);
  CHECK(c.metadata[0] == std::make_pair(std::string("optimizer"), std::string("Adam")));
  CHECK(c.metadata[1] == std::make_pair(std::string("lr"), std::string("0.01")));

  auto model = load(source, LoadOptions{});
  CHECK(model->seed() == 42);
  CHECK(model->loss()->kind() == LossKind::mse);
  check_values(*model, kMlpAdam);
}

TEST_CASE("golden v1: MLP (Tanh, no bias) with SGD momentum after 2 steps") {
  FileSource source(golden("mlp_sgd_momentum.nnst"));
  verify_data(source, read_contents(source));
  auto model = load(source, LoadOptions{});
  CHECK(model->optimizer()->config().kind == OptimizerKind::sgd);
  CHECK(model->optimizer()->config().momentum == 0.9);
  CHECK(model->seed() == 7);
  check_values(*model, kMlpSgd);
}
