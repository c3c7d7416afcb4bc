// Dropout: built from its config, and its config in the checkpoint, in JSON and in `nnstate diff`.
#include "layers/dropout.h"
#include "layers/json_fields.h"
#include "layers/layer_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &c, Rng *) {
  return std::make_unique<Dropout>(c.p);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &c) {
  return fb::CreateDropoutConfig(b, c.p).Union();
}

void decode(const void *table, const TableReader &, LayerConfig &c) {
  c.p = static_cast<const fb::DropoutConfig *>(table)->p();
}

void describe(const LayerConfig &c, ConfigFields &f) {
  f.real("p", c.p);
}

constexpr json::Argument kArguments[] = {{&json::kP, false}};

}  // namespace

extern const LayerKindSpec dropout_spec = [] {
  LayerKindSpec s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  return s;
}();

}  // namespace nnstate
