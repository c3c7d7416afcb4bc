// The layer kinds added after the first thirteen (AvgPool2d ... Dropout2d): their names, their
// use in a trained network (shape checks in the graph, forward and backward through a train
// step), and their round trip through a checkpoint file (format 1.1).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <cstring>
#include <memory>

#include "checkpoint/declarations.h"
#include "checkpoint/io.h"
#include "checkpoint/load.h"
#include "checkpoint/save.h"
#include "checkpoint_craft.h"
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
  LayerConfig conv(LayerKind::conv2d);
  auto &conv_o = conv.as<Conv2dConfig>();
  conv_o.in_channels = 2;
  conv_o.out_channels = 4;
  conv_o.kernel_size = {2, 3};
  conv_o.padding_same = true;
  model.add_layer(conv);
  LayerConfig drop(LayerKind::dropout2d);
  auto &drop_o = drop.as<DropoutConfig>();
  drop_o.p = 0.25;
  model.add_layer(drop);
  LayerConfig avg(LayerKind::avg_pool2d);
  auto &avg_o = avg.as<AvgPool2dConfig>();
  avg_o.kernel_size = {2, 2};
  avg_o.padding = {1, 0};
  avg_o.count_include_pad = false;
  model.add_layer(avg);
  LayerConfig adaptive(LayerKind::adaptive_avg_pool2d);
  auto &adaptive_o = adaptive.as<AdaptiveAvgPool2dConfig>();
  adaptive_o.output_size = {1, 1};
  model.add_layer(adaptive);
  model.add_layer(kind_config(LayerKind::flatten));
  model.add_layer(kind_config(LayerKind::identity));
  LayerConfig linear(LayerKind::linear);
  auto &linear_o = linear.as<LinearConfig>();
  linear_o.in_features = 4;
  linear_o.out_features = 3;
  model.add_layer(linear);
  LayerConfig softmax(LayerKind::softmax);
  auto &softmax_o = softmax.as<SoftmaxConfig>();
  softmax_o.dim = 1;
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
  LayerConfig embedding(LayerKind::embedding);
  auto &embedding_o = embedding.as<EmbeddingConfig>();
  embedding_o.num_embeddings = 10;
  embedding_o.embedding_dim = 4;
  embedding_o.has_padding_idx = true;
  embedding_o.padding_idx = 0;
  model.add_layer(embedding);
  model.add_layer(kind_config(LayerKind::flatten));
  LayerConfig linear(LayerKind::linear);
  auto &linear_o = linear.as<LinearConfig>();
  linear_o.in_features = 12;
  linear_o.out_features = 2;
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

namespace {

// Saves `model` to memory, rebuilds it from the bytes alone, and checks that both have the same
// configs and tensors and compute the same outputs (inference mode) on `x`.
void check_round_trip(Model &model, const Tensor &x, int64_t batch) {
  const std::vector<unsigned char> bytes = ckpt_craft::save_bytes(model);
  checkpoint::MemorySource source(bytes.data(), bytes.size(), false, "<kinds>");
  std::unique_ptr<Model> rebuilt = checkpoint::load(source, checkpoint::LoadOptions{});
  struct Walk : StateVisitor {
    std::vector<LayerConfig> configs;
    std::vector<std::string> names;
    std::vector<Tensor> values;
    void layer(size_t, const LayerConfig &c) override { configs.push_back(c); }
    void tensor(const std::string &name, TensorRole, Tensor &v, Tensor *) override {
      names.push_back(name);
      values.push_back(v);
    }
  } before, after;
  model.network().visit_state(before);
  rebuilt->network().visit_state(after);
  REQUIRE(before.configs.size() == after.configs.size());
  for (size_t i = 0; i < before.configs.size(); ++i) {
    INFO("layer " << i << " " << layer_kind_name(before.configs[i].kind()));
    CHECK(before.configs[i] == after.configs[i]);
  }
  CHECK(before.names == after.names);
  for (size_t i = 0; i < before.values.size(); ++i) {
    CHECK(std::memcmp(before.values[i].data(), after.values[i].data(),
                      before.values[i].byte_size()) == 0);
  }
  const int64_t outputs = batch * model.network().sample_output_size();
  std::vector<float> a(outputs), b(outputs);
  model.predict(x.data(), x.numel(), batch, a.data(), outputs);
  rebuilt->predict(x.data(), x.numel(), batch, b.data(), outputs);
  CHECK(a == b);
}

}  // namespace

TEST_CASE("new layer kinds are saved and rebuilt from the file alone (format 1.1)") {
  Model model(3);
  model.network().set_sample_input_shape(Shape{2, 6, 6});
  LayerConfig conv(LayerKind::conv2d);
  auto &conv_o = conv.as<Conv2dConfig>();
  conv_o.in_channels = 2;
  conv_o.out_channels = 4;
  conv_o.kernel_size = {4, 3};  // even: 'same' pads one more on the right
  conv_o.padding_same = true;
  model.add_layer(conv);
  LayerConfig avg(LayerKind::avg_pool2d);
  auto &avg_o = avg.as<AvgPool2dConfig>();
  avg_o.kernel_size = {3, 3};
  avg_o.stride = {1, 1};
  avg_o.padding = {1, 1};
  avg_o.count_include_pad = false;
  model.add_layer(avg);
  LayerConfig drop(LayerKind::dropout2d);
  auto &drop_o = drop.as<DropoutConfig>();
  drop_o.p = 0.25;
  model.add_layer(drop);
  LayerConfig adaptive(LayerKind::adaptive_avg_pool2d);
  auto &adaptive_o = adaptive.as<AdaptiveAvgPool2dConfig>();
  adaptive_o.output_size = {4, 5};
  model.add_layer(adaptive);
  model.add_layer(kind_config(LayerKind::identity));
  LayerConfig softmax(LayerKind::log_softmax);
  auto &softmax_o = softmax.as<SoftmaxConfig>();
  softmax_o.dim = 1;
  model.add_layer(softmax);
  model.add_layer(kind_config(LayerKind::flatten));
  LayerConfig head(LayerKind::softmax);
  auto &head_o = head.as<SoftmaxConfig>();
  head_o.dim = -1;
  model.add_layer(head);
  check_round_trip(model, test_tensor(Shape{3, 2, 6, 6}, 9), 3);

  Model words(4);
  words.network().set_sample_input_shape(Shape{5});
  LayerConfig embedding(LayerKind::embedding);
  auto &embedding_o = embedding.as<EmbeddingConfig>();
  embedding_o.num_embeddings = 7;
  embedding_o.embedding_dim = 3;
  embedding_o.has_padding_idx = true;
  embedding_o.padding_idx = 6;
  words.add_layer(embedding);
  Tensor indices(Shape{2, 5});
  for (int64_t i = 0; i < indices.numel(); ++i) indices[i] = static_cast<float>(i % 7);
  check_round_trip(words, indices, 2);
}

TEST_CASE("the file's check of a new kind refuses what its constructor refuses") {
  LayerConfig embedding(LayerKind::embedding);
  auto &embedding_o = embedding.as<EmbeddingConfig>();
  embedding_o.num_embeddings = 4;
  embedding_o.embedding_dim = 2;
  embedding_o.has_padding_idx = true;
  embedding_o.padding_idx = 4;  // stored form is [0, n)
  CHECK_THROWS_AS(checkpoint::check_layer_config(embedding), Error);
  LayerConfig pool(LayerKind::avg_pool2d);
  auto &pool_o = pool.as<AvgPool2dConfig>();
  pool_o.kernel_size = {2, 2};
  pool_o.padding = {2, 2};  // more than kernel / 2
  CHECK_THROWS_AS(checkpoint::check_layer_config(pool), Error);
  CHECK_THROWS_AS(make_layer(pool, nullptr), Error);
  LayerConfig conv(LayerKind::conv2d);
  auto &conv_o = conv.as<Conv2dConfig>();
  conv_o.in_channels = conv_o.out_channels = 1;
  conv_o.kernel_size = {3, 3};
  conv_o.stride = {2, 2};
  conv_o.padding_same = true;
  CHECK_THROWS_AS(checkpoint::check_layer_config(conv), Error);
}
