// Softmax and LogSoftmax (one class, one table type): built from their config, and their
// config in the checkpoint, in JSON and in `nnstate diff`.
#include "layers/json_fields.h"
#include "layers/layer_spec.h"
#include "layers/softmax.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &c, Rng *) {
  return std::make_unique<Softmax>(c.dim, c.kind == LayerKind::log_softmax);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &c) {
  return fb::CreateSoftmaxConfig(b, c.dim).Union();
}

void decode(const void *table, const TableReader &, LayerConfig &c) {
  c.dim = static_cast<const fb::SoftmaxConfig *>(table)->dim();
}

void describe(const LayerConfig &c, ConfigFields &f) {
  f.integer("dim", c.dim);
}

constexpr json::Argument kArguments[] = {{&json::kDim, false}};

}  // namespace

extern const LayerKindSpec softmax_spec = [] {
  LayerKindSpec s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declared_by_building = true;
  return s;
}();

}  // namespace nnstate
