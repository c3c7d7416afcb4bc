// Linear: built from its config, and its config in the checkpoint, in JSON and in `nnstate diff`.
#include "layers/kind_spec.h"
#include "layers/linear.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LinearConfig &c, Rng *init_rng) {
  return std::make_unique<Linear>(c.in_features, c.out_features, c.bias, init_rng);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LinearConfig &c) {
  return fb::CreateLinearConfig(b, c.in_features, c.out_features, c.bias).Union();
}

void decode(const void *table, const TableReader &, LinearConfig &c) {
  const auto *t = static_cast<const fb::LinearConfig *>(table);
  c.in_features = t->in_features();
  c.out_features = t->out_features();
  c.bias = t->bias();
}

void describe(const LinearConfig &c, ConfigFields &f) {
  f.integer("in_features", c.in_features);
  f.integer("out_features", c.out_features);
  f.boolean("bias", c.bias);
}

constexpr json::Field<LinearConfig> kInFeatures =
    json::count_field<&LinearConfig::in_features>("in_features");
constexpr json::Field<LinearConfig> kOutFeatures =
    json::count_field<&LinearConfig::out_features>("out_features");
constexpr json::Argument<LinearConfig> kArguments[] = {
    {kInFeatures, true}, {kOutFeatures, true}, {json::kBias<LinearConfig>, false}};

}  // namespace

extern const KindSpec<LinearConfig> linear_spec = [] {
  KindSpec<LinearConfig> s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declare = Linear::declare;
  return s;
}();

}  // namespace nnstate
