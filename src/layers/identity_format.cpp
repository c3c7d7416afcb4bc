// Identity: built from its (empty) config, which is an empty table in the checkpoint and has no
// JSON arguments.
#include "layers/identity.h"
#include "layers/kind_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const EmptyConfig &, Rng *) {
  return std::make_unique<Identity>();
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const EmptyConfig &) {
  return fb::CreateIdentityConfig(b).Union();
}

}  // namespace

extern const KindSpec<EmptyConfig> identity_spec = [] {
  KindSpec<EmptyConfig> s;
  s.make = make;
  s.encode = encode;
  s.declared_by_building = true;
  return s;
}();

}  // namespace nnstate
