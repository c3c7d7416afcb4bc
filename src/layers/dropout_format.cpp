// Dropout and Dropout2d (one table type, DropoutConfig): built from their config, and their
// config in the checkpoint, in JSON and in `nnstate diff`.
#include "layers/dropout.h"
#include "layers/dropout2d.h"
#include "layers/kind_spec.h"

namespace nnstate {
namespace {

template <class DropoutLayer>
std::unique_ptr<Layer> make(const DropoutConfig &c, Rng *) {
  return std::make_unique<DropoutLayer>(c.p);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const DropoutConfig &c) {
  return fb::CreateDropoutConfig(b, c.p).Union();
}

void decode(const void *table, const TableReader &, DropoutConfig &c) {
  c.p = static_cast<const fb::DropoutConfig *>(table)->p();
}

void describe(const DropoutConfig &c, ConfigFields &f) {
  f.real("p", c.p);
}

constexpr json::Argument<DropoutConfig> kArguments[] = {{json::kP<DropoutConfig>, false}};

KindSpec<DropoutConfig> dropout_kind_spec(decltype(KindSpec<DropoutConfig>::make) make_layer) {
  KindSpec<DropoutConfig> s;
  s.make = make_layer;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  return s;
}

}  // namespace

extern const KindSpec<DropoutConfig> dropout_spec = dropout_kind_spec(make<Dropout>);

// Dropout2d's constructor allocates nothing, so the checks of an unbuilt config build it.
extern const KindSpec<DropoutConfig> dropout2d_spec = [] {
  KindSpec<DropoutConfig> s = dropout_kind_spec(make<Dropout2d>);
  s.declared_by_building = true;
  return s;
}();

}  // namespace nnstate
