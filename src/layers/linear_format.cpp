// Linear: built from its config, and its config in the checkpoint, in JSON and in `nnstate diff`.
#include "layers/json_fields.h"
#include "layers/layer_spec.h"
#include "layers/linear.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &c, Rng *init_rng) {
  return std::make_unique<Linear>(c.in_features, c.out_features, c.bias, init_rng);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &c) {
  return fb::CreateLinearConfig(b, c.in_features, c.out_features, c.bias).Union();
}

void decode(const void *table, const TableReader &, LayerConfig &c) {
  const auto *t = static_cast<const fb::LinearConfig *>(table);
  c.in_features = t->in_features();
  c.out_features = t->out_features();
  c.bias = t->bias();
}

void describe(const LayerConfig &c, ConfigFields &f) {
  f.integer("in_features", c.in_features);
  f.integer("out_features", c.out_features);
  f.boolean("bias", c.bias);
}

constexpr json::Field kInFeatures = json::count_field<&LayerConfig::in_features>("in_features");
constexpr json::Field kOutFeatures = json::count_field<&LayerConfig::out_features>("out_features");
constexpr json::Argument kArguments[] = {
    {&kInFeatures, true}, {&kOutFeatures, true}, {&json::kBias, false}};

}  // namespace

extern const LayerKindSpec linear_spec = [] {
  LayerKindSpec s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declare = Linear::declare;
  return s;
}();

}  // namespace nnstate
