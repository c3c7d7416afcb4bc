// Conv2d: built from its config, and its config in the checkpoint, in JSON and in `nnstate diff`.
#include <string>

#include "layers/conv2d.h"
#include "layers/json_fields.h"
#include "layers/layer_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &c, Rng *init_rng) {
  return std::make_unique<Conv2d>(c, init_rng);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &c) {
  const fb::Size2 k = size2_struct(c.kernel_size), s = size2_struct(c.stride),
                  p = size2_struct(c.padding), d = size2_struct(c.dilation);
  return fb::CreateConv2dConfig(b, c.in_channels, c.out_channels, &k, &s, &p, &d, c.groups, c.bias,
                                c.padding_same)
      .Union();
}

void decode(const void *table, const TableReader &in, LayerConfig &c) {
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

void describe(const LayerConfig &c, ConfigFields &f) {
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

constexpr json::Field kInChannels = json::count_field<&LayerConfig::in_channels>("in_channels");
constexpr json::Field kOutChannels = json::count_field<&LayerConfig::out_channels>("out_channels");
constexpr json::Field kStride{"stride",
                              [](const json::Json &v, LayerConfig &c, const json::Where &w) {
                                c.stride = json::read_pair(v, w, 1);
                              },
                              [](const LayerConfig &c) { return json::write_pair(c.stride); }};
// Also "same" (stride 1) and "valid" (no padding), as PyTorch's padding strings.
constexpr json::Field kPadding{"padding",
                               [](const json::Json &v, LayerConfig &c, const json::Where &w) {
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
                               [](const LayerConfig &c) {
                                 return c.padding_same ? json::Json("same")
                                                       : json::write_pair(c.padding);
                               }};
constexpr json::Field kGroups = json::count_field<&LayerConfig::groups>("groups");
constexpr json::Argument kArguments[] = {{&kInChannels, true},       {&kOutChannels, true},
                                         {&json::kKernelSize, true}, {&kStride, false},
                                         {&kPadding, false},         {&json::kDilation, false},
                                         {&kGroups, false},          {&json::kBias, false}};

}  // namespace

extern const LayerKindSpec conv2d_spec = [] {
  LayerKindSpec s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declare = Conv2d::declare;
  return s;
}();

}  // namespace nnstate
