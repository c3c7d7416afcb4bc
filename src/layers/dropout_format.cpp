// Dropout and Dropout2d (one table type, DropoutConfig): built from their config, and their
// config in the checkpoint, in JSON and in `nnstate diff`.
#include "layers/dropout.h"
#include "layers/dropout2d.h"
#include "layers/json_fields.h"
#include "layers/layer_spec.h"

namespace nnstate {
namespace {

template <class DropoutLayer>
std::unique_ptr<Layer> make(const LayerConfig &c, Rng *) {
  return std::make_unique<DropoutLayer>(c.p);
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

LayerKindSpec dropout_kind_spec(decltype(LayerKindSpec::make) make_layer) {
  LayerKindSpec s;
  s.make = make_layer;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  return s;
}

}  // namespace

extern const LayerKindSpec dropout_spec = dropout_kind_spec(make<Dropout>);

// Dropout2d's constructor allocates nothing, so the checks of an unbuilt config build it.
extern const LayerKindSpec dropout2d_spec = [] {
  LayerKindSpec s = dropout_kind_spec(make<Dropout2d>);
  s.declared_by_building = true;
  return s;
}();

}  // namespace nnstate
