#include "layers/layer_config.h"

#include "layers/layer_spec.h"
#include "layers/registry.h"
#include "util/error.h"

namespace nnstate {

LayerConfig::LayerConfig(LayerKind kind)
    : kind_(kind), options_(layer_kind_entry(kind).spec->default_options()) {}

LayerConfig::LayerConfig(LayerKind kind, LayerOptions options)
    : kind_(kind), options_(std::move(options)) {
  if (!layer_kind_entry(kind).spec->holds(options_)) {
    fail(NNSTATE_ERR_INTERNAL, std::string("a ") + layer_kind_name(kind) +
                                   " configuration was given the options of another kind");
  }
}

void LayerConfig::wrong_options() const {
  fail(NNSTATE_ERR_INTERNAL, std::string("a ") + layer_kind_name(kind_) +
                                 " configuration was asked for the options of another kind");
}

}  // namespace nnstate
