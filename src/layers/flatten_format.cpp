// Flatten: built from its config, and its config in the checkpoint and in `nnstate diff`.
#include "layers/flatten.h"
#include "layers/layer_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &c, Rng *) {
  return std::make_unique<Flatten>(c);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &c) {
  return fb::CreateFlattenConfig(b, c.start_dim, c.end_dim).Union();
}

void decode(const void *table, const TableReader &, LayerConfig &c) {
  const auto *t = static_cast<const fb::FlattenConfig *>(table);
  c.start_dim = t->start_dim();
  c.end_dim = t->end_dim();
}

void describe(const LayerConfig &c, ConfigFields &f) {
  f.integer("start_dim", c.start_dim);
  f.integer("end_dim", c.end_dim);
}

}  // namespace

extern const LayerKindSpec flatten_spec{make, encode, decode, describe};

}  // namespace nnstate
