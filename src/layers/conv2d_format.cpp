// Conv2d: built from its config, and its config in the checkpoint, in JSON and in `nnstate diff`.
#include <string>

#include "layers/conv2d.h"
#include "layers/kind_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const Conv2dConfig &c, Rng *init_rng) {
  return std::make_unique<Conv2d>(c, init_rng);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const Conv2dConfig &c) {
  const fb::Size2 k = size2_struct(c.kernel_size), s = size2_struct(c.stride),
                  p = size2_struct(c.padding), d = size2_struct(c.dilation);
  return fb::CreateConv2dConfig(b, c.in_channels, c.out_channels, &k, &s, &p, &d, c.groups, c.bias,
                                c.padding_same)
      .Union();
}

void decode(const void *table, const TableReader &in, Conv2dConfig &c) {
  const auto *t = static_cast<const fb::Conv2dConfig *>(table);
  c.in_channels = t->in_channels();
  c.out_channels = t->out_channels();
  c.kernel_size = in.size2(t->kernel_size(), "kernel_size");
  c.stride = in.size2(t->stride(), "stride");
  c.padding = in.size2(t->padding(), "padding");
  c.dilation = in.size2(t->dilation(), "dilation");
  c.groups = t->groups();
  c.bias = t->bias();
  c.padding_same = t->padding_same();
}

void describe(const Conv2dConfig &c, ConfigFields &f) {
  f.integer("in_channels", c.in_channels);
  f.integer("out_channels", c.out_channels);
  f.boolean("bias", c.bias);
  f.integer("groups", c.groups);
  if (c.padding_same) f.boolean("padding_same", true);
  f.size2("kernel_size", c.kernel_size);
  f.size2("stride", c.stride);
  f.size2("padding", c.padding);
  f.size2("dilation", c.dilation);
}

constexpr json::Field<Conv2dConfig> kInChannels =
    json::count_field<&Conv2dConfig::in_channels>("in_channels");
constexpr json::Field<Conv2dConfig> kOutChannels =
    json::count_field<&Conv2dConfig::out_channels>("out_channels");
constexpr json::Field<Conv2dConfig> kStride{
    "stride",
    [](const json::Json &v, Conv2dConfig &c, const json::Where &w) {
      c.stride = json::read_pair(v, w, 1);
    },
    [](const Conv2dConfig &c) { return json::write_pair(c.stride); }};
// Also "same" (stride 1) and "valid" (no padding), as PyTorch's padding strings.
constexpr json::Field<Conv2dConfig> kPadding{
    "padding",
    [](const json::Json &v, Conv2dConfig &c, const json::Where &w) {
      c.padding_same = false;
      c.padding = Size2{0, 0};
      if (v.is_string()) {
        const std::string &mode = v.get_ref<const std::string &>();
        if (mode == "same") {
          c.padding_same = true;
        } else if (mode != "valid") {
          w.expected("an integer, [h, w], \"same\" or \"valid\"", v);
        }
        return;
      }
      c.padding = json::read_pair(v, w, 0);
    },
    [](const Conv2dConfig &c) {
      return c.padding_same ? json::Json("same") : json::write_pair(c.padding);
    }};
constexpr json::Field<Conv2dConfig> kGroups = json::count_field<&Conv2dConfig::groups>("groups");
constexpr json::Argument<Conv2dConfig> kArguments[] = {{kInChannels, true},
                                                       {kOutChannels, true},
                                                       {json::kKernelSize<Conv2dConfig>, true},
                                                       {kStride, false},
                                                       {kPadding, false},
                                                       {json::kDilation<Conv2dConfig>, false},
                                                       {kGroups, false},
                                                       {json::kBias<Conv2dConfig>, false}};

}  // namespace

extern const KindSpec<Conv2dConfig> conv2d_spec = [] {
  KindSpec<Conv2dConfig> s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declare = Conv2d::declare;
  return s;
}();

}  // namespace nnstate
