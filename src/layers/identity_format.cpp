// Identity: built from its (empty) config, which is an empty table in the checkpoint and has no
// JSON arguments.
#include "layers/identity.h"
#include "layers/layer_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &, Rng *) {
  return std::make_unique<Identity>();
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &) {
  return fb::CreateIdentityConfig(b).Union();
}

}  // namespace

extern const LayerKindSpec identity_spec = [] {
  LayerKindSpec s;
  s.make = make;
  s.encode = encode;
  s.declared_by_building = true;
  return s;
}();

}  // namespace nnstate
