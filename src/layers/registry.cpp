// The one list of layer kinds. A kind's spec is defined in its <kind>_format.cpp; adding a kind
// is one declaration and one line in the table below (src/README.md, "Adding a layer kind").
#include "layers/registry.h"

#include "layers/kind_spec.h"
#include "util/error.h"

namespace nnstate {

// Each spec is a KindSpec of the kind's options struct (layers/kind_spec.h).
extern const KindSpec<EmptyConfig> relu_spec, tanh_spec, sigmoid_spec, identity_spec, add_spec,
    multiply_spec;
extern const KindSpec<LinearConfig> linear_spec;
extern const KindSpec<LeakyReLUConfig> leaky_relu_spec;
extern const KindSpec<GELUConfig> gelu_spec;
extern const KindSpec<Conv2dConfig> conv2d_spec;
extern const KindSpec<MaxPool2dConfig> max_pool2d_spec;
extern const KindSpec<FlattenConfig> flatten_spec;
extern const KindSpec<BatchNormConfig> batch_norm1d_spec, batch_norm2d_spec;
extern const KindSpec<DropoutConfig> dropout_spec, dropout2d_spec;
extern const KindSpec<LayerNormConfig> layer_norm_spec;
extern const KindSpec<AvgPool2dConfig> avg_pool2d_spec;
extern const KindSpec<AdaptiveAvgPool2dConfig> adaptive_avg_pool2d_spec;
extern const KindSpec<SoftmaxConfig> softmax_spec, log_softmax_spec;
extern const KindSpec<EmbeddingConfig> embedding_spec;
extern const KindSpec<ConcatConfig> concat_spec;

namespace {

// In LayerKind order: entry i is kind i + 1 (checked below, at compile time).
constexpr LayerKindEntry kKinds[] = {
    {LayerKind::linear, "Linear", &linear_spec},
    {LayerKind::relu, "ReLU", &relu_spec},
    {LayerKind::leaky_relu, "LeakyReLU", &leaky_relu_spec},
    {LayerKind::tanh, "Tanh", &tanh_spec},
    {LayerKind::sigmoid, "Sigmoid", &sigmoid_spec},
    {LayerKind::gelu, "GELU", &gelu_spec},
    {LayerKind::conv2d, "Conv2d", &conv2d_spec},
    {LayerKind::max_pool2d, "MaxPool2d", &max_pool2d_spec},
    {LayerKind::flatten, "Flatten", &flatten_spec},
    {LayerKind::batch_norm1d, "BatchNorm1d", &batch_norm1d_spec},
    {LayerKind::batch_norm2d, "BatchNorm2d", &batch_norm2d_spec},
    {LayerKind::dropout, "Dropout", &dropout_spec},
    {LayerKind::layer_norm, "LayerNorm", &layer_norm_spec},
    {LayerKind::avg_pool2d, "AvgPool2d", &avg_pool2d_spec},
    {LayerKind::adaptive_avg_pool2d, "AdaptiveAvgPool2d", &adaptive_avg_pool2d_spec},
    {LayerKind::identity, "Identity", &identity_spec},
    {LayerKind::softmax, "Softmax", &softmax_spec},
    {LayerKind::log_softmax, "LogSoftmax", &log_softmax_spec},
    {LayerKind::embedding, "Embedding", &embedding_spec},
    {LayerKind::dropout2d, "Dropout2d", &dropout2d_spec},
    {LayerKind::add, "Add", &add_spec},
    {LayerKind::concat, "Concat", &concat_spec},
    {LayerKind::multiply, "Multiply", &multiply_spec},
};
constexpr size_t kKindCount = sizeof kKinds / sizeof kKinds[0];

constexpr bool in_kind_order() {
  for (size_t i = 0; i < kKindCount; ++i) {
    if (static_cast<size_t>(kKinds[i].kind) != i + 1) return false;
  }
  return true;
}
static_assert(in_kind_order(), "kKinds[i] must be LayerKind i + 1");
// Every member of the schema's union has an entry (union type numbers are LayerKind values).
static_assert(static_cast<size_t>(fb::LayerConfig::MAX) == kKindCount,
              "the schema's LayerConfig union and the registry disagree");

}  // namespace

const LayerKindEntry *layer_kinds_begin() {
  return kKinds;
}
const LayerKindEntry *layer_kinds_end() {
  return kKinds + kKindCount;
}

const LayerKindEntry *find_layer_kind(LayerKind kind) {
  const int64_t i = static_cast<int64_t>(kind) - 1;
  return i >= 0 && i < static_cast<int64_t>(kKindCount) ? &kKinds[i] : nullptr;
}

const LayerKindEntry &layer_kind_entry(LayerKind kind) {
  const LayerKindEntry *entry = find_layer_kind(kind);
  if (!entry) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "unknown layer kind " + std::to_string(static_cast<int32_t>(kind)));
  }
  return *entry;
}

const LayerKindEntry *find_layer_kind(const std::string &name) {
  for (const LayerKindEntry &entry : kKinds) {
    if (name == entry.torch_name) return &entry;
  }
  return nullptr;
}

}  // namespace nnstate
