// The registry of layer kinds: one entry per LayerKind with its PyTorch class name and its
// spec (layers/layer_spec.h: how to build it and how its configuration is written to a
// checkpoint, to JSON and to `nnstate diff`). Everything that depends on the kind asks here;
// adding a kind adds one line to registry.cpp (see src/README.md, "Adding a layer kind").
#pragma once

#include <string>

#include "layers/layer.h"

namespace nnstate {

class LayerKindSpec;

struct LayerKindEntry {
  LayerKind kind;
  const char *torch_name;  // "Conv2d": torch.nn's class name, also the JSON "kind"
  const LayerKindSpec *spec;
};

// The entry of `kind`; throws Error(INVALID_ARGUMENT) for a number that is no kind.
const LayerKindEntry &layer_kind_entry(LayerKind kind);
// The entry of `kind`, or null for a number that is no kind.
const LayerKindEntry *find_layer_kind(LayerKind kind);
// The entry whose torch_name is `name`, or null.
const LayerKindEntry *find_layer_kind(const std::string &name);

// Every entry, in LayerKind order: [begin, end).
const LayerKindEntry *layer_kinds_begin();
const LayerKindEntry *layer_kinds_end();

}  // namespace nnstate
