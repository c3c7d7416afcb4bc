// The JSON arguments of layer kinds (layers/layer_json.h): the value readers and writers, and
// the fields several kinds share. Each kind lists its own arguments in its <kind>_format.cpp.
// Every refusal is Error(INVALID_ARGUMENT) naming the node and the field.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "layers/layer.h"
#include "layers/layer_spec.h"

namespace nnstate::json {

// Ordered: a description is written (and its errors found) in document order.
using Json = nlohmann::ordered_json;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// A value for a message, never recursive (a deeply nested array must not recurse in dump()).
std::string describe(const Json &value);

// Where a value sits: the node's label and the field, for messages.
struct Where {
  const std::string &node;
  const char *field;
  [[noreturn]] void fail(const std::string &problem) const;
  [[noreturn]] void expected(const std::string &what, const Json &got) const;
};

// An integer in [min, max], range-checked before any conversion.
int64_t read_int(const Json &v, const Where &where, int64_t min, int64_t max,
                 const char *what = "an integer");
bool read_bool(const Json &v, const Where &where);
double read_real(const Json &v, const Where &where, double min, double max);
// An int for both sides or [h, w], each at least `min`.
Size2 read_pair(const Json &v, const Where &where, int64_t min);
// PyTorch prints a square pair as one int; so does the description.
Json write_pair(const Size2 &s);
// The shortest decimal that gives the float back, so 0.01f is written 0.01.
Json write_float(float x);

// One argument: its name, reader and writer.
struct Field {
  const char *name;
  void (*read)(const Json &value, LayerConfig &config, const Where &where);
  Json (*write)(const LayerConfig &config);
};

struct Argument {
  const Field *field;
  bool required;  // PyTorch has no default for it
};

template <size_t n>
constexpr Arguments arguments(const Argument (&list)[n]) {
  return Arguments{list, n};
}

// A field holding a positive count (features, channels, groups, ...).
template <int64_t LayerConfig::*member>
constexpr Field count_field(const char *name) {
  return Field{name,
               [](const Json &v, LayerConfig &c, const Where &w) {
                 c.*member = read_int(v, w, 1, kInt64Max);
               },
               [](const LayerConfig &c) { return Json(c.*member); }};
}

// Fields of several kinds (json_fields.cpp).
extern const Field kBias;         // Linear, Conv2d
extern const Field kKernelSize;   // Conv2d and the pools
extern const Field kPoolStride;   // the pools: null (PyTorch's None) means kernel_size
extern const Field kPoolPadding;  // the pools
extern const Field kDilation;     // Conv2d, MaxPool2d
extern const Field kNumFeatures;  // BatchNorm1d, BatchNorm2d
extern const Field kEps;          // BatchNorm, LayerNorm
extern const Field kP;            // Dropout, Dropout2d
extern const Field kDim;          // Softmax, LogSoftmax, Concat

}  // namespace nnstate::json
