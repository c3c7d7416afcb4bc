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

// One argument of the kind whose options are `Options`: its name, reader and writer.
template <class Options>
struct Field {
  const char *name;
  void (*read)(const Json &value, Options &options, const Where &where);
  Json (*write)(const Options &options);
};

template <class Options>
struct Argument {
  Field<Options> field;
  bool required;  // PyTorch has no default for it
};

// A kind's JSON arguments, in PyTorch's constructor order.
template <class Options>
struct Arguments {
  const Argument<Options> *begin = nullptr;
  size_t count = 0;
};

template <class Options, size_t n>
constexpr Arguments<Options> arguments(const Argument<Options> (&list)[n]) {
  return Arguments<Options>{list, n};
}

template <class Member>
struct MemberOf;
template <class Options, class T>
struct MemberOf<T Options::*> {
  using type = Options;
};

// A field holding a positive count (features, channels, groups, ...).
template <auto member>
constexpr Field<typename MemberOf<decltype(member)>::type> count_field(const char *name) {
  using Options = typename MemberOf<decltype(member)>::type;
  return Field<Options>{
      name,
      [](const Json &v, Options &c, const Where &w) { c.*member = read_int(v, w, 1, kInt64Max); },
      [](const Options &c) { return Json(c.*member); }};
}

// Fields of several kinds, for the options struct of each.
template <class Options>  // Linear, Conv2d
constexpr Field<Options> kBias{
    "bias", [](const Json &v, Options &c, const Where &w) { c.bias = read_bool(v, w); },
    [](const Options &c) { return Json(c.bias); }};
template <class Options>  // Conv2d and the pools
constexpr Field<Options> kKernelSize{
    "kernel_size",
    [](const Json &v, Options &c, const Where &w) { c.kernel_size = read_pair(v, w, 1); },
    [](const Options &c) { return write_pair(c.kernel_size); }};
// The pools: null (PyTorch's None, the default) means kernel_size, kept as (0, 0).
template <class Options>
constexpr Field<Options> kPoolStride{
    "stride",
    [](const Json &v, Options &c, const Where &w) {
      c.stride = v.is_null() ? Size2{0, 0} : read_pair(v, w, 1);
    },
    [](const Options &c) {
      return c.stride == Size2{0, 0} ? Json(nullptr) : write_pair(c.stride);
    }};
template <class Options>  // the pools
constexpr Field<Options> kPoolPadding{
    "padding", [](const Json &v, Options &c, const Where &w) { c.padding = read_pair(v, w, 0); },
    [](const Options &c) { return write_pair(c.padding); }};
template <class Options>  // Conv2d, MaxPool2d
constexpr Field<Options> kDilation{
    "dilation", [](const Json &v, Options &c, const Where &w) { c.dilation = read_pair(v, w, 1); },
    [](const Options &c) { return write_pair(c.dilation); }};
template <class Options>  // BatchNorm, LayerNorm
constexpr Field<Options> kEps{"eps",
                              [](const Json &v, Options &c, const Where &w) {
                                c.eps = read_real(v, w, 0, std::numeric_limits<double>::max());
                              },
                              [](const Options &c) { return Json(c.eps); }};
template <class Options>  // Dropout, Dropout2d
constexpr Field<Options> kP{
    "p", [](const Json &v, Options &c, const Where &w) { c.p = read_real(v, w, 0, 1); },
    [](const Options &c) { return Json(c.p); }};
template <class Options>  // Softmax, LogSoftmax, Concat
constexpr Field<Options> kDim{"dim",
                              [](const Json &v, Options &c, const Where &w) {
                                c.dim = static_cast<int32_t>(read_int(v, w, kInt32Min, kInt32Max));
                              },
                              [](const Options &c) { return Json(c.dim); }};

}  // namespace nnstate::json
