// AdaptiveAvgPool2d: built from its config, and its config in the checkpoint, in JSON and in
// `nnstate diff`.
#include "layers/adaptive_avg_pool2d.h"
#include "layers/kind_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const AdaptiveAvgPool2dConfig &c, Rng *) {
  return std::make_unique<AdaptiveAvgPool2d>(c);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b,
                                 const AdaptiveAvgPool2dConfig &c) {
  const fb::Size2 out = size2_struct(c.output_size);
  return fb::CreateAdaptiveAvgPool2dConfig(b, &out).Union();
}

void decode(const void *table, const TableReader &in, AdaptiveAvgPool2dConfig &c) {
  const auto *t = static_cast<const fb::AdaptiveAvgPool2dConfig *>(table);
  c.output_size = in.size2(t->output_size(), "output_size");
}

void describe(const AdaptiveAvgPool2dConfig &c, ConfigFields &f) {
  f.size2("output_size", c.output_size);
}

constexpr json::Field<AdaptiveAvgPool2dConfig> kOutputSize{
    "output_size",
    [](const json::Json &v, AdaptiveAvgPool2dConfig &c, const json::Where &w) {
      c.output_size = json::read_pair(v, w, 1);
    },
    [](const AdaptiveAvgPool2dConfig &c) { return json::write_pair(c.output_size); }};
constexpr json::Argument<AdaptiveAvgPool2dConfig> kArguments[] = {{kOutputSize, true}};

}  // namespace

extern const KindSpec<AdaptiveAvgPool2dConfig> adaptive_avg_pool2d_spec = [] {
  KindSpec<AdaptiveAvgPool2dConfig> s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declared_by_building = true;
  return s;
}();

}  // namespace nnstate
