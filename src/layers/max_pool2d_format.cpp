// MaxPool2d: built from its config, and its config in the checkpoint, in JSON and in `nnstate
// diff`.
#include "layers/kind_spec.h"
#include "layers/max_pool2d.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const MaxPool2dConfig &c, Rng *) {
  return std::make_unique<MaxPool2d>(c);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const MaxPool2dConfig &c) {
  const fb::Size2 k = size2_struct(c.kernel_size), s = size2_struct(c.stride),
                  p = size2_struct(c.padding), d = size2_struct(c.dilation);
  return fb::CreateMaxPool2dConfig(b, &k, &s, &p, &d).Union();
}

void decode(const void *table, const TableReader &in, MaxPool2dConfig &c) {
  const auto *t = static_cast<const fb::MaxPool2dConfig *>(table);
  c.kernel_size = in.size2(t->kernel_size(), "kernel_size");
  c.stride = in.size2(t->stride(), "stride");
  c.padding = in.size2(t->padding(), "padding");
  c.dilation = in.size2(t->dilation(), "dilation");
}

void describe(const MaxPool2dConfig &c, ConfigFields &f) {
  f.size2("kernel_size", c.kernel_size);
  f.size2("stride", c.stride);
  f.size2("padding", c.padding);
  f.size2("dilation", c.dilation);
}

constexpr json::Argument<MaxPool2dConfig> kArguments[] = {
    {json::kKernelSize<MaxPool2dConfig>, true},
    {json::kPoolStride<MaxPool2dConfig>, false},
    {json::kPoolPadding<MaxPool2dConfig>, false},
    {json::kDilation<MaxPool2dConfig>, false}};
// stride None: the kernel size, kept as (0, 0).
void json_defaults(MaxPool2dConfig &c) {
  c.stride = Size2{0, 0};
}

}  // namespace

extern const KindSpec<MaxPool2dConfig> max_pool2d_spec = [] {
  KindSpec<MaxPool2dConfig> s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.json_defaults = json_defaults;
  return s;
}();

}  // namespace nnstate
