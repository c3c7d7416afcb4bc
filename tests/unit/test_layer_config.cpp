// LayerConfig: a kind and that kind's options struct. Asking for another kind's options, or
// pairing a kind with another kind's struct, is an internal error (never a read of the wrong
// member); equality compares the kind and every field of the struct.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "layers/layer_config.h"
#include "util/error.h"

using namespace nnstate;

namespace {

nnstate_status status_of_access(const std::function<void()> &f, std::string *message) {
  try {
    f();
  } catch (const Error &e) {
    *message = e.what();
    return e.status();
  }
  return NNSTATE_OK;
}

}  // namespace

TEST_CASE("LayerConfig: every kind starts from its own struct's defaults") {
  const LayerConfig conv(LayerKind::conv2d);
  CHECK(conv.kind() == LayerKind::conv2d);
  CHECK(conv.as<Conv2dConfig>().stride == Size2{1, 1});
  CHECK(conv.as<Conv2dConfig>().groups == 1);
  CHECK(LayerConfig(LayerKind::batch_norm1d).as<BatchNormConfig>().momentum == 0.1);
  CHECK(LayerConfig(LayerKind::leaky_relu).as<LeakyReLUConfig>().negative_slope == 0.01f);
  CHECK(LayerConfig(LayerKind::relu).options().index() == LayerOptions(EmptyConfig{}).index());
  CHECK(LayerConfig().kind() == LayerKind::linear);
}

TEST_CASE("LayerConfig: another kind's options are an internal error, naming the kind") {
  LayerConfig linear(LayerKind::linear);
  std::string message;
  CHECK(status_of_access([&] { (void)linear.as<Conv2dConfig>(); }, &message) ==
        NNSTATE_ERR_INTERNAL);
  CHECK(message.find("Linear configuration") != std::string::npos);
  const LayerConfig &constant = linear;
  CHECK(status_of_access([&] { (void)constant.as<BatchNormConfig>(); }, &message) ==
        NNSTATE_ERR_INTERNAL);
  CHECK(status_of_access([&] { LayerConfig(LayerKind::linear, Conv2dConfig{}); }, &message) ==
        NNSTATE_ERR_INTERNAL);
  CHECK(message.find("options of another kind") != std::string::npos);
  // Kinds that share a struct accept it.
  CHECK(status_of_access([&] { LayerConfig(LayerKind::batch_norm2d, BatchNormConfig{}); },
                         &message) == NNSTATE_OK);
  CHECK(status_of_access([&] { LayerConfig(static_cast<LayerKind>(99)); }, &message) ==
        NNSTATE_ERR_INVALID_ARGUMENT);
}

TEST_CASE("LayerConfig: equal when the kind and every field of its struct are") {
  LayerConfig a(LayerKind::conv2d), b(LayerKind::conv2d);
  CHECK(a == b);
  b.as<Conv2dConfig>().padding_same = true;  // the last field of the struct
  CHECK(a != b);
  b = a;
  b.as<Conv2dConfig>().dilation = {1, 2};
  CHECK(a != b);
  // The same struct under two kinds.
  CHECK(LayerConfig(LayerKind::batch_norm1d) != LayerConfig(LayerKind::batch_norm2d));
  CHECK(LayerConfig(LayerKind::softmax) != LayerConfig(LayerKind::log_softmax));
  CHECK(LayerConfig(LayerKind::relu) == LayerConfig(LayerKind::relu));
  CHECK(LayerConfig(LayerKind::relu) != LayerConfig(LayerKind::tanh));
  LayerConfig e(LayerKind::embedding), f(LayerKind::embedding);
  f.as<EmbeddingConfig>().has_padding_idx = true;
  CHECK(e != f);
}
