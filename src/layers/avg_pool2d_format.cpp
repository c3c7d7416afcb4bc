// AvgPool2d: built from its config, and its config in the checkpoint, in JSON and in `nnstate
// diff`.
#include "layers/avg_pool2d.h"
#include "layers/kind_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const AvgPool2dConfig &c, Rng *) {
  return std::make_unique<AvgPool2d>(c);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const AvgPool2dConfig &c) {
  const fb::Size2 k = size2_struct(c.kernel_size), s = size2_struct(c.stride),
                  p = size2_struct(c.padding);
  return fb::CreateAvgPool2dConfig(b, &k, &s, &p, c.count_include_pad).Union();
}

void decode(const void *table, const TableReader &in, AvgPool2dConfig &c) {
  const auto *t = static_cast<const fb::AvgPool2dConfig *>(table);
  c.kernel_size = in.size2(t->kernel_size(), "kernel_size");
  c.stride = in.size2(t->stride(), "stride");
  c.padding = in.size2(t->padding(), "padding");
  c.count_include_pad = t->count_include_pad();
}

void describe(const AvgPool2dConfig &c, ConfigFields &f) {
  f.size2("kernel_size", c.kernel_size);
  f.size2("stride", c.stride);
  f.size2("padding", c.padding);
  f.boolean("count_include_pad", c.count_include_pad);
}

constexpr json::Field<AvgPool2dConfig> kCountIncludePad{
    "count_include_pad",
    [](const json::Json &v, AvgPool2dConfig &c, const json::Where &w) {
      c.count_include_pad = json::read_bool(v, w);
    },
    [](const AvgPool2dConfig &c) { return json::Json(c.count_include_pad); }};
constexpr json::Argument<AvgPool2dConfig> kArguments[] = {
    {json::kKernelSize<AvgPool2dConfig>, true},
    {json::kPoolStride<AvgPool2dConfig>, false},
    {json::kPoolPadding<AvgPool2dConfig>, false},
    {kCountIncludePad, false}};
// stride None: the kernel size, kept as (0, 0).
void json_defaults(AvgPool2dConfig &c) {
  c.stride = Size2{0, 0};
}

}  // namespace

extern const KindSpec<AvgPool2dConfig> avg_pool2d_spec = [] {
  KindSpec<AvgPool2dConfig> s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.json_defaults = json_defaults;
  s.declared_by_building = true;
  return s;
}();

}  // namespace nnstate
