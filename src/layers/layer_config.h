// A layer's configuration: its kind and the options of that kind. Each kind declares its
// options struct in its own header (LinearConfig in linear.h, ...); kinds with the same
// options share one (BatchNorm1d and BatchNorm2d: BatchNormConfig; the kinds with none:
// EmptyConfig). The registry (layers/registry.h) says which struct belongs to which kind, so a
// configuration never holds another kind's options, and asking it for them is an internal
// error, never a read of the wrong member.
#pragma once

#include <variant>

#include "layers/activations.h"
#include "layers/adaptive_avg_pool2d.h"
#include "layers/avg_pool2d.h"
#include "layers/batch_norm.h"
#include "layers/conv2d.h"
#include "layers/dropout.h"
#include "layers/embedding.h"
#include "layers/flatten.h"
#include "layers/layer.h"
#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "layers/max_pool2d.h"
#include "layers/merge.h"
#include "layers/softmax.h"

namespace nnstate {

// Every options struct, once (a new kind with options appends its struct here).
using LayerOptions =
    std::variant<EmptyConfig, LinearConfig, LeakyReLUConfig, GELUConfig, Conv2dConfig,
                 MaxPool2dConfig, FlattenConfig, BatchNormConfig, DropoutConfig, LayerNormConfig,
                 AvgPool2dConfig, AdaptiveAvgPool2dConfig, SoftmaxConfig, EmbeddingConfig,
                 ConcatConfig>;

class LayerConfig {
 public:
  // A Linear with the default options (no features yet: a value to assign over).
  LayerConfig() = default;
  // `kind` with its default options; throws Error(INVALID_ARGUMENT) for a number that is no
  // kind.
  explicit LayerConfig(LayerKind kind);
  // `options` must be `kind`'s struct: Error(INTERNAL) otherwise.
  LayerConfig(LayerKind kind, LayerOptions options);

  LayerKind kind() const { return kind_; }
  const LayerOptions &options() const { return options_; }

  // The options as the kind's struct; Error(INTERNAL) when they are another kind's.
  template <class Options>
  const Options &as() const {
    if (const Options *options = std::get_if<Options>(&options_)) return *options;
    wrong_options();
  }
  template <class Options>
  Options &as() {
    if (Options *options = std::get_if<Options>(&options_)) return *options;
    wrong_options();
  }

  bool operator==(const LayerConfig &o) const { return kind_ == o.kind_ && options_ == o.options_; }
  bool operator!=(const LayerConfig &o) const { return !(*this == o); }

 private:
  [[noreturn]] void wrong_options() const;

  LayerKind kind_ = LayerKind::linear;
  LayerOptions options_ = LinearConfig{};
};

}  // namespace nnstate
