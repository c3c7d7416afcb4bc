#include "layers/factory.h"

#include "layers/layer_spec.h"
#include "layers/registry.h"
#include "util/error.h"

namespace nnstate {

bool is_merge_kind(LayerKind kind) {
  const LayerKindEntry *entry = find_layer_kind(kind);
  return entry && entry->spec->merge;
}

const char *layer_kind_name(LayerKind kind) {
  const LayerKindEntry *entry = find_layer_kind(kind);
  return entry ? entry->torch_name : "unknown";
}

std::unique_ptr<Layer> make_layer(const LayerConfig &config, Rng *init_rng) {
  return layer_kind_entry(config.kind()).spec->make_layer(config, init_rng);
}

}  // namespace nnstate
