// Identity: built from its (empty) config, which is an empty table in the checkpoint.
#include "layers/identity.h"
#include "layers/json_fields.h"
#include "layers/layer_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &, Rng *) {
  return std::make_unique<Identity>();
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &) {
  return fb::CreateIdentityConfig(b).Union();
}

void decode(const void *, const TableReader &, LayerConfig &) {}
void describe(const LayerConfig &, ConfigFields &) {}

}  // namespace

extern const LayerKindSpec identity_spec{make,    encode, decode, describe, json::Arguments{},
                                         nullptr, nullptr};

}  // namespace nnstate
