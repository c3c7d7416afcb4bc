#include "layers/layer_json.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "layers/graph.h"
#include "util/error.h"

namespace nnstate {
namespace {

// Ordered: a description is written (and its errors found) in document order.
using Json = nlohmann::ordered_json;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// A value for a message, never recursive (a deeply nested array must not recurse in dump()).
std::string describe(const Json &value) {
  switch (value.type()) {
    case Json::value_t::array:
      return "an array of " + std::to_string(value.size()) + " items";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::string: {
      std::string text = value.get_ref<const std::string &>();
      const bool cut = text.size() > 40;
      if (cut) text.resize(40);
      return Json(text).dump(-1, ' ', false, Json::error_handler_t::replace) + (cut ? "..." : "");
    }
    default:
      return value.dump();
  }
}

// Where a value sits: the node's label and the field, for messages.
struct Where {
  const std::string &node;
  const char *field;
  [[noreturn]] void fail(const std::string &problem) const {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, node + ": field \"" + field + "\": " + problem);
  }
  [[noreturn]] void expected(const std::string &what, const Json &got) const {
    fail("expected " + what + ", got " + describe(got));
  }
};

// An integer in [min, max], range-checked before any conversion.
int64_t read_int(const Json &v, const Where &where, int64_t min, int64_t max,
                 const char *what = "an integer") {
  if (!v.is_number_integer()) where.expected(what, v);
  bool in_range;
  int64_t result = 0;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    // nlohmann reads every non-negative integer as unsigned.
    in_range = u <= static_cast<uint64_t>(max);
    if (in_range) {
      result = static_cast<int64_t>(u);
      in_range = result >= min;
    }
  } else {
    result = v.get<int64_t>();
    in_range = result >= min && result <= max;
  }
  if (!in_range) {
    where.fail(describe(v) + " is out of range [" + std::to_string(min) + ", " +
               std::to_string(max) + "]");
  }
  return result;
}

bool read_bool(const Json &v, const Where &where) {
  if (!v.is_boolean()) where.expected("true or false", v);
  return v.get<bool>();
}

double read_real(const Json &v, const Where &where, double min, double max) {
  if (!v.is_number()) where.expected("a number", v);
  const double x = v.get<double>();
  if (!(x >= min && x <= max)) {
    char range[64];
    std::snprintf(range, sizeof range, "[%g, %g]", min, max);
    where.fail(describe(v) + " is out of range " + range);
  }
  return x;
}

// An int for both sides or [h, w], each at least `min`.
Size2 read_pair(const Json &v, const Where &where, int64_t min) {
  const char *what = "an integer or [h, w]";
  if (v.is_array()) {
    if (v.size() != 2) where.expected(what, v);
    return Size2{read_int(v[0], where, min, kInt64Max, what),
                 read_int(v[1], where, min, kInt64Max, what)};
  }
  const int64_t side = read_int(v, where, min, kInt64Max, what);
  return Size2{side, side};
}

// PyTorch prints a square pair as one int; so does the description.
Json write_pair(const Size2 &s) {
  if (s.h == s.w) return Json(s.h);
  return Json::array({s.h, s.w});
}

// The shortest decimal that gives the float back, so 0.01f is written 0.01.
Json write_float(float x) {
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(x));
    const double back = std::strtod(text, nullptr);
    if (static_cast<float>(back) == x) return Json(back);
  }
  return Json(static_cast<double>(x));
}

// ---- The fields: each argument's reader and writer -------------------------------------------

using Reader = void (*)(const Json &value, LayerConfig &config, const Where &where);
using Writer = Json (*)(const LayerConfig &config);

struct Field {
  const char *name;
  Reader read;
  Writer write;
};

// A field holding a positive count (features, channels, groups, ...): one reader and writer
// for every such member.
template <int64_t LayerConfig::*member>
Field count_field(const char *name) {
  return Field{name,
               [](const Json &v, LayerConfig &c, const Where &w) {
                 c.*member = read_int(v, w, 1, kInt64Max);
               },
               [](const LayerConfig &c) { return Json(c.*member); }};
}

const Field kInFeatures = count_field<&LayerConfig::in_features>("in_features");
const Field kOutFeatures = count_field<&LayerConfig::out_features>("out_features");
const Field kBias{"bias",
                  [](const Json &v, LayerConfig &c, const Where &w) { c.bias = read_bool(v, w); },
                  [](const LayerConfig &c) { return Json(c.bias); }};
const Field kInChannels = count_field<&LayerConfig::in_channels>("in_channels");
const Field kOutChannels = count_field<&LayerConfig::out_channels>("out_channels");
const Field kKernelSize{
    "kernel_size",
    [](const Json &v, LayerConfig &c, const Where &w) { c.kernel_size = read_pair(v, w, 1); },
    [](const LayerConfig &c) { return write_pair(c.kernel_size); }};
const Field kConvStride{
    "stride", [](const Json &v, LayerConfig &c, const Where &w) { c.stride = read_pair(v, w, 1); },
    [](const LayerConfig &c) { return write_pair(c.stride); }};
// Pools: null (PyTorch's None, the default) means kernel_size, kept as (0, 0).
const Field kPoolStride{"stride",
                        [](const Json &v, LayerConfig &c, const Where &w) {
                          c.stride = v.is_null() ? Size2{0, 0} : read_pair(v, w, 1);
                        },
                        [](const LayerConfig &c) {
                          return c.stride == Size2{0, 0} ? Json(nullptr) : write_pair(c.stride);
                        }};
// Conv2d: also "same" (stride 1) and "valid" (no padding), as PyTorch's padding strings.
const Field kConvPadding{
    "padding",
    [](const Json &v, LayerConfig &c, const Where &w) {
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
      c.padding = read_pair(v, w, 0);
    },
    [](const LayerConfig &c) { return c.padding_same ? Json("same") : write_pair(c.padding); }};
const Field kPoolPadding{
    "padding",
    [](const Json &v, LayerConfig &c, const Where &w) { c.padding = read_pair(v, w, 0); },
    [](const LayerConfig &c) { return write_pair(c.padding); }};
const Field kDilation{
    "dilation",
    [](const Json &v, LayerConfig &c, const Where &w) { c.dilation = read_pair(v, w, 1); },
    [](const LayerConfig &c) { return write_pair(c.dilation); }};
const Field kGroups = count_field<&LayerConfig::groups>("groups");
const Field kCountIncludePad{
    "count_include_pad",
    [](const Json &v, LayerConfig &c, const Where &w) { c.count_include_pad = read_bool(v, w); },
    [](const LayerConfig &c) { return Json(c.count_include_pad); }};
const Field kNumFeatures = count_field<&LayerConfig::num_features>("num_features");
const Field kEps{"eps",
                 [](const Json &v, LayerConfig &c, const Where &w) {
                   c.eps = read_real(v, w, 0, std::numeric_limits<double>::max());
                 },
                 [](const LayerConfig &c) { return Json(c.eps); }};
const Field kMomentum{"momentum",
                      [](const Json &v, LayerConfig &c, const Where &w) {
                        if (v.is_null()) w.fail("null (a cumulative average) is not supported");
                        c.momentum = read_real(v, w, -std::numeric_limits<double>::max(),
                                               std::numeric_limits<double>::max());
                      },
                      [](const LayerConfig &c) { return Json(c.momentum); }};
const Field kAffine{
    "affine", [](const Json &v, LayerConfig &c, const Where &w) { c.affine = read_bool(v, w); },
    [](const LayerConfig &c) { return Json(c.affine); }};
const Field kElementwiseAffine{
    "elementwise_affine",
    [](const Json &v, LayerConfig &c, const Where &w) { c.affine = read_bool(v, w); },
    [](const LayerConfig &c) { return Json(c.affine); }};
const Field kTrackRunningStats{
    "track_running_stats",
    [](const Json &v, LayerConfig &c, const Where &w) { c.track_running_stats = read_bool(v, w); },
    [](const LayerConfig &c) { return Json(c.track_running_stats); }};
// LayerNorm: an int or a list of 1 to 3 ints.
const Field kNormalizedShape{"normalized_shape",
                             [](const Json &v, LayerConfig &c, const Where &w) {
                               const char *what = "an integer or a list of 1 to 3 integers";
                               Shape shape;
                               if (v.is_array()) {
                                 if (v.empty() || v.size() > 3) w.expected(what, v);
                                 shape.rank = static_cast<int32_t>(v.size());
                                 for (size_t i = 0; i < v.size(); ++i)
                                   shape.dims[i] = read_int(v[i], w, 1, kInt64Max, what);
                               } else {
                                 shape.rank = 1;
                                 shape.dims[0] = read_int(v, w, 1, kInt64Max, what);
                               }
                               c.normalized_shape = shape;
                             },
                             [](const LayerConfig &c) {
                               Json dims = Json::array();
                               for (int32_t i = 0; i < c.normalized_shape.rank; ++i)
                                 dims.push_back(c.normalized_shape[i]);
                               return dims;
                             }};
const Field kP{"p",
               [](const Json &v, LayerConfig &c, const Where &w) { c.p = read_real(v, w, 0, 1); },
               [](const LayerConfig &c) { return Json(c.p); }};
const Field kNegativeSlope{"negative_slope",
                           [](const Json &v, LayerConfig &c, const Where &w) {
                             c.negative_slope =
                                 static_cast<float>(read_real(v, w, -FLT_MAX, FLT_MAX));
                           },
                           [](const LayerConfig &c) { return write_float(c.negative_slope); }};
const Field kApproximate{"approximate",
                         [](const Json &v, LayerConfig &c, const Where &w) {
                           const bool ok = v.is_string() && (v == "none" || v == "tanh");
                           if (!ok) w.expected("\"none\" or \"tanh\"", v);
                           c.gelu_tanh = v == "tanh";
                         },
                         [](const LayerConfig &c) { return Json(c.gelu_tanh ? "tanh" : "none"); }};
const Field kStartDim{"start_dim",
                      [](const Json &v, LayerConfig &c, const Where &w) {
                        c.start_dim = static_cast<int32_t>(read_int(v, w, kInt32Min, kInt32Max));
                      },
                      [](const LayerConfig &c) { return Json(c.start_dim); }};
const Field kEndDim{"end_dim",
                    [](const Json &v, LayerConfig &c, const Where &w) {
                      c.end_dim = static_cast<int32_t>(read_int(v, w, kInt32Min, kInt32Max));
                    },
                    [](const LayerConfig &c) { return Json(c.end_dim); }};
const Field kOutputSize{
    "output_size",
    [](const Json &v, LayerConfig &c, const Where &w) { c.output_size = read_pair(v, w, 1); },
    [](const LayerConfig &c) { return write_pair(c.output_size); }};
const Field kDim{"dim",
                 [](const Json &v, LayerConfig &c, const Where &w) {
                   c.dim = static_cast<int32_t>(read_int(v, w, kInt32Min, kInt32Max));
                 },
                 [](const LayerConfig &c) { return Json(c.dim); }};
const Field kNumEmbeddings = count_field<&LayerConfig::num_embeddings>("num_embeddings");
const Field kEmbeddingDim = count_field<&LayerConfig::embedding_dim>("embedding_dim");
// null (the default) for none; negative counts from the end, as in PyTorch (the layer checks
// it against num_embeddings).
const Field kPaddingIdx{
    "padding_idx",
    [](const Json &v, LayerConfig &c, const Where &w) {
      c.has_padding_idx = !v.is_null();
      c.padding_idx = v.is_null() ? 0 : read_int(v, w, -kInt64Max, kInt64Max);
    },
    [](const LayerConfig &c) { return c.has_padding_idx ? Json(c.padding_idx) : Json(nullptr); }};

// ---- The kinds: which arguments each takes -----------------------------------------------------

struct Argument {
  const Field *field;
  bool required;  // PyTorch has no default for it
};

struct KindEntry {
  LayerKind kind;
  std::vector<Argument> arguments;
  // Defaults that differ from LayerConfig's (which are Linear's and Conv2d's).
  void (*defaults)(LayerConfig &config);
};

void pool_defaults(LayerConfig &c) {
  c.stride = Size2{0, 0};
}
// torch.cat's default dim 0 is the batch; a node concatenates channels or features.
void concat_defaults(LayerConfig &c) {
  c.dim = 1;
}

// The one table of every kind's arguments, in PyTorch's constructor order.
const std::vector<KindEntry> &kind_table() {
  static const std::vector<KindEntry> table = {
      {LayerKind::linear, {{&kInFeatures, true}, {&kOutFeatures, true}, {&kBias, false}}, nullptr},
      {LayerKind::relu, {}, nullptr},
      {LayerKind::leaky_relu, {{&kNegativeSlope, false}}, nullptr},
      {LayerKind::tanh, {}, nullptr},
      {LayerKind::sigmoid, {}, nullptr},
      {LayerKind::gelu, {{&kApproximate, false}}, nullptr},
      {LayerKind::conv2d,
       {{&kInChannels, true},
        {&kOutChannels, true},
        {&kKernelSize, true},
        {&kConvStride, false},
        {&kConvPadding, false},
        {&kDilation, false},
        {&kGroups, false},
        {&kBias, false}},
       nullptr},
      {LayerKind::max_pool2d,
       {{&kKernelSize, true}, {&kPoolStride, false}, {&kPoolPadding, false}, {&kDilation, false}},
       pool_defaults},
      {LayerKind::flatten, {{&kStartDim, false}, {&kEndDim, false}}, nullptr},
      {LayerKind::batch_norm1d,
       {{&kNumFeatures, true},
        {&kEps, false},
        {&kMomentum, false},
        {&kAffine, false},
        {&kTrackRunningStats, false}},
       nullptr},
      {LayerKind::batch_norm2d,
       {{&kNumFeatures, true},
        {&kEps, false},
        {&kMomentum, false},
        {&kAffine, false},
        {&kTrackRunningStats, false}},
       nullptr},
      {LayerKind::dropout, {{&kP, false}}, nullptr},
      {LayerKind::layer_norm,
       {{&kNormalizedShape, true}, {&kEps, false}, {&kElementwiseAffine, false}},
       nullptr},
      {LayerKind::avg_pool2d,
       {{&kKernelSize, true},
        {&kPoolStride, false},
        {&kPoolPadding, false},
        {&kCountIncludePad, false}},
       pool_defaults},
      {LayerKind::adaptive_avg_pool2d, {{&kOutputSize, true}}, nullptr},
      {LayerKind::identity, {}, nullptr},
      {LayerKind::softmax, {{&kDim, false}}, nullptr},
      {LayerKind::log_softmax, {{&kDim, false}}, nullptr},
      {LayerKind::embedding,
       {{&kNumEmbeddings, true}, {&kEmbeddingDim, true}, {&kPaddingIdx, false}},
       nullptr},
      {LayerKind::dropout2d, {{&kP, false}}, nullptr},
      {LayerKind::add, {}, nullptr},
      {LayerKind::concat, {{&kDim, false}}, concat_defaults},
      {LayerKind::multiply, {}, nullptr},
  };
  return table;
}

const KindEntry &entry_of(LayerKind kind) {
  for (const KindEntry &entry : kind_table()) {
    if (entry.kind == kind) return entry;
  }
  fail(NNSTATE_ERR_INVALID_ARGUMENT,
       "unknown layer kind " + std::to_string(static_cast<int32_t>(kind)));
}

std::string argument_list(const KindEntry &entry) {
  if (entry.arguments.empty()) return "it takes none";
  std::string list = "it takes";
  for (size_t i = 0; i < entry.arguments.size(); ++i) {
    list += (i ? ", " : " ") + std::string(entry.arguments[i].field->name);
  }
  return list;
}

// ---- Parsing -----------------------------------------------------------------------------------

// Parses `text`, refusing duplicate keys (which nlohmann would silently resolve to the last).
Json parse_text(const std::string &text, const std::string &label) {
  std::vector<std::set<std::string>> open_objects;
  auto no_duplicates = [&](int, Json::parse_event_t event, Json &parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
      if (!open_objects.back().insert(parsed.get<std::string>()).second) {
        fail(NNSTATE_ERR_INVALID_ARGUMENT, label + ": duplicate field " + describe(parsed));
      }
    }
    return true;
  };
  try {
    return Json::parse(text, no_duplicates);
  } catch (const Json::exception &e) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, label + ": invalid JSON: " + e.what());
  }
}

LayerKind read_kind(const Json &object, const std::string &label) {
  const auto it = object.find("kind");
  if (it == object.end()) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, label +
                                           ": field \"kind\" is missing (a PyTorch class name "
                                           "such as \"Conv2d\")");
  }
  const Where where{label, "kind"};
  if (!it->is_string()) where.expected("a layer class name", *it);
  for (const KindEntry &entry : kind_table()) {
    if (*it == layer_kind_name(entry.kind)) return entry.kind;
  }
  where.fail("unknown layer kind " + describe(*it));
}

// Reads the arguments of `object` into a config of `kind`, skipping the node fields `skip`.
LayerConfig read_config(const Json &object, LayerKind kind, const std::string &label,
                        const std::set<std::string> &skip) {
  const KindEntry &entry = entry_of(kind);
  LayerConfig config;
  config.kind = kind;
  if (entry.defaults) entry.defaults(config);
  std::set<std::string> seen;
  for (auto item = object.begin(); item != object.end(); ++item) {
    if (item.key() == "kind" || skip.count(item.key())) continue;
    const Argument *argument = nullptr;
    for (const Argument &a : entry.arguments) {
      if (item.key() == a.field->name) argument = &a;
    }
    if (!argument) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT, label + ": unknown field " + describe(Json(item.key())) +
                                             " (" + argument_list(entry) + ")");
    }
    argument->field->read(item.value(), config, Where{label, argument->field->name});
    seen.insert(item.key());
  }
  for (const Argument &a : entry.arguments) {
    if (a.required && !seen.count(a.field->name)) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           label + ": field \"" + a.field->name + "\" is missing (it has no default)");
    }
  }
  return config;
}

std::vector<int32_t> read_inputs(const Json &v, const Graph &graph, const std::string &label) {
  const Where where{label, "inputs"};
  const int64_t index = static_cast<int64_t>(graph.size());
  if (!v.is_array() || v.empty()) where.expected("a non-empty list of node indices or names", v);
  std::vector<int32_t> inputs;
  for (const Json &item : v) {
    if (item.is_string()) {
      const int64_t found = graph.find(item.get_ref<const std::string &>());
      if (found < 0) where.fail("no earlier node is named " + describe(item));
      inputs.push_back(static_cast<int32_t>(found));
    } else {
      // Only earlier nodes: the graph stays acyclic by construction.
      inputs.push_back(
          static_cast<int32_t>(read_int(item, where, Graph::kNetworkInput, index - 1,
                                        "a node index (-1: the network input) or a node name")));
    }
  }
  return inputs;
}

std::string read_name(const Json &object, const std::string &label) {
  const auto it = object.find("name");
  if (it == object.end()) return "";
  if (!it->is_string()) {
    Where{label, "name"}.expected("a string (a module name such as \"layer1.0.conv1\")", *it);
  }
  return it->get<std::string>();
}

Json config_object(const LayerConfig &config) {
  Json object = Json::object();
  object["kind"] = layer_kind_name(config.kind);
  return object;
}

void write_arguments(const LayerConfig &config, Json &object) {
  for (const Argument &a : entry_of(config.kind).arguments) {
    object[a.field->name] = a.field->write(config);
  }
}

const Json &require_object(const Json &document, const std::string &label) {
  if (!document.is_object()) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         label + ": expected a JSON object, got " + describe(document));
  }
  return document;
}

}  // namespace

std::string node_label(size_t index, const std::string &name, const LayerConfig &config) {
  const std::string who = name.empty() ? std::to_string(index) : describe(Json(name));
  return "node " + who + " (" + layer_kind_name(config.kind) + ")";
}

NodeDescription parse_node_json(const std::string &text, const Graph &graph) {
  const size_t index = graph.size();
  const std::string bare_label = "node " + std::to_string(index);
  const Json document = parse_text(text, bare_label);
  const Json &object = require_object(document, bare_label);
  NodeDescription node;
  node.name = read_name(object, bare_label);
  const std::string named_label =
      node.name.empty() ? bare_label : "node " + describe(Json(node.name));
  node.config.kind = read_kind(object, named_label);
  const std::string label = node_label(index, node.name, node.config);
  node.config = read_config(object, node.config.kind, label, {"name", "inputs"});
  const auto inputs = object.find("inputs");
  if (inputs != object.end()) {
    node.inputs = read_inputs(*inputs, graph, label);
  } else {
    node.inputs = {index == 0 ? Graph::kNetworkInput : static_cast<int32_t>(index - 1)};
  }
  return node;
}

std::string node_json(const Graph &graph, size_t index) {
  const LayerConfig config = graph.layer(index).config();
  Json object = config_object(config);
  if (!graph.name(index).empty()) object["name"] = graph.name(index);
  Json inputs = Json::array();
  for (int32_t input : graph.inputs(index)) {
    if (input != Graph::kNetworkInput && !graph.name(static_cast<size_t>(input)).empty()) {
      inputs.push_back(graph.name(static_cast<size_t>(input)));
    } else {
      inputs.push_back(input);
    }
  }
  object["inputs"] = inputs;
  write_arguments(config, object);
  return object.dump();
}

std::string layer_config_json(const LayerConfig &config) {
  Json object = config_object(config);
  write_arguments(config, object);
  return object.dump();
}

LayerConfig parse_layer_config_json(const std::string &text, const std::string &label) {
  const Json document = parse_text(text, label);
  const Json &object = require_object(document, label);
  const LayerKind kind = read_kind(object, label);
  return read_config(object, kind, label + " (" + layer_kind_name(kind) + ")", {});
}

}  // namespace nnstate
