// The layer kinds added after the first thirteen (AvgPool2d ... Dropout2d): their names, their
// use in a trained network (shape checks in Sequential, forward and backward through a train
// step), and, until the file format records them, a clear refusal to save or check them.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "checkpoint/declarations.h"
#include "checkpoint/save.h"
#include "test_layers_util.h"
#include "train/model.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::testing;

TEST_CASE("new layer kinds have PyTorch's class names") {
  CHECK(std::string(layer_kind_name(LayerKind::avg_pool2d)) == "AvgPool2d");
  CHECK(std::string(layer_kind_name(LayerKind::adaptive_avg_pool2d)) == "AdaptiveAvgPool2d");
  CHECK(std::string(layer_kind_name(LayerKind::identity)) == "Identity");
  CHECK(std::string(layer_kind_name(LayerKind::softmax)) == "Softmax");
  CHECK(std::string(layer_kind_name(LayerKind::log_softmax)) == "LogSoftmax");
  CHECK(std::string(layer_kind_name(LayerKind::embedding)) == "Embedding");
  CHECK(std::string(layer_kind_name(LayerKind::dropout2d)) == "Dropout2d");
}

TEST_CASE("a CNN of the new kinds trains: shapes chain and gradients flow") {
  Model model(5);
  model.network().set_sample_input_shape(Shape{2, 5, 6});
  LayerConfig conv = kind_config(LayerKind::conv2d);
  conv.in_channels = 2;
  conv.out_channels = 4;
  conv.kernel_size = {2, 3};
  conv.padding_same = true;
  model.add_layer(conv);
  LayerConfig drop = kind_config(LayerKind::dropout2d);
  drop.p = 0.25;
  model.add_layer(drop);
  LayerConfig avg = kind_config(LayerKind::avg_pool2d);
  avg.kernel_size = {2, 2};
  avg.padding = {1, 0};
  avg.count_include_pad = false;
  model.add_layer(avg);
  LayerConfig adaptive = kind_config(LayerKind::adaptive_avg_pool2d);
  adaptive.output_size = {1, 1};
  model.add_layer(adaptive);
  model.add_layer(kind_config(LayerKind::flatten));
  model.add_layer(kind_config(LayerKind::identity));
  LayerConfig linear = kind_config(LayerKind::linear);
  linear.in_features = 4;
  linear.out_features = 3;
  model.add_layer(linear);
  LayerConfig softmax = kind_config(LayerKind::softmax);
  softmax.dim = 1;
  model.add_layer(softmax);
  CHECK(model.network().sample_output_shape() == Shape{3});
  model.set_loss(LossKind::mse);
  model.set_optimizer(default_optimizer_config(OptimizerKind::sgd));
  const Tensor x = test_tensor(Shape{4, 2, 5, 6}, 1);
  const Tensor y = test_tensor(Shape{4, 3}, 2, 0.0f, 1.0f);
  const float first = model.train_step(x.data(), x.numel(), y.data(), y.numel(), 4);
  float last = first;
  for (int step = 0; step < 20; ++step) {
    last = model.train_step(x.data(), x.numel(), y.data(), y.numel(), 4);
  }
  CHECK(std::isfinite(first));
  CHECK(last != first);  // the parameters before the softmax received gradients
}

TEST_CASE("an Embedding network trains on float indices and refuses a bad one") {
  Model model(6);
  model.network().set_sample_input_shape(Shape{3});  // three indices per sample
  LayerConfig embedding = kind_config(LayerKind::embedding);
  embedding.num_embeddings = 10;
  embedding.embedding_dim = 4;
  embedding.has_padding_idx = true;
  embedding.padding_idx = 0;
  model.add_layer(embedding);
  model.add_layer(kind_config(LayerKind::flatten));
  LayerConfig linear = kind_config(LayerKind::linear);
  linear.in_features = 12;
  linear.out_features = 2;
  model.add_layer(linear);
  model.add_layer(kind_config(LayerKind::relu));  // preserves the shape: checked once known
  model.set_loss(LossKind::mse);
  model.set_optimizer(default_optimizer_config(OptimizerKind::sgd));
  std::vector<float> x = {1, 2, 3, 0, 9, 9, 4, 0, 0, 5, 6, 7};
  const std::vector<float> y = {0.5f, 1.0f, 0.0f, 0.2f, 0.3f, 0.1f, 0.9f, 0.4f};
  const float first = model.train_step(x.data(), 12, y.data(), 8, 4);
  const float second = model.train_step(x.data(), 12, y.data(), 8, 4);
  CHECK(first != second);
  x[7] = 10.0f;
  try {
    model.train_step(x.data(), 12, y.data(), 8, 4);
    FAIL("index 10 of a 10-row table accepted");
  } catch (const Error &e) {
    CHECK(std::string(e.what()).find("index 10 at position [2, 1] is out of range [0, 10)") !=
          std::string::npos);
  }
}

TEST_CASE("new layer kinds are refused by the file format until it records them") {
  for (LayerKind kind :
       {LayerKind::avg_pool2d, LayerKind::adaptive_avg_pool2d, LayerKind::identity,
        LayerKind::softmax, LayerKind::log_softmax, LayerKind::embedding, LayerKind::dropout2d}) {
    const std::string name = layer_kind_name(kind);
    INFO(name);
    try {
      checkpoint::check_layer_config(kind_config(kind));
      FAIL("accepted");
    } catch (const Error &e) {
      CHECK(e.status() == NNSTATE_ERR_INVALID_ARGUMENT);
      CHECK(std::string(e.what()) == name + " this layer kind is not in the checkpoint format yet");
    }
  }
  const auto save_error = [](const LayerConfig &config) {
    Model model(1);
    model.network().set_sample_input_shape(Shape{2, 4, 4});
    model.add_layer(config);
    std::vector<char> buffer(1 << 16);
    try {
      checkpoint::save_to_buffer(model, buffer.data(), buffer.size(), checkpoint::SaveOptions{});
    } catch (const Error &e) {
      CHECK(e.status() == NNSTATE_ERR_INVALID_ARGUMENT);
      return std::string(e.what());
    }
    return std::string("saved");
  };
  CHECK(save_error(kind_config(LayerKind::identity)) ==
        "Identity is not in the checkpoint format yet");
  // Conv2d is in the format, but not its padding='same': it would reload unpadded.
  LayerConfig conv = kind_config(LayerKind::conv2d);
  conv.in_channels = 2;
  conv.out_channels = 1;
  conv.kernel_size = {3, 3};
  CHECK(save_error(conv) == "saved");
  conv.padding_same = true;
  CHECK(save_error(conv) == "Conv2d padding='same' is not in the checkpoint format yet");
}
