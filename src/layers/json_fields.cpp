#include "layers/json_fields.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "util/error.h"

namespace nnstate::json {

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

void Where::fail(const std::string &problem) const {
  nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, node + ": field \"" + field + "\": " + problem);
}

void Where::expected(const std::string &what, const Json &got) const {
  fail("expected " + what + ", got " + describe(got));
}

int64_t read_int(const Json &v, const Where &where, int64_t min, int64_t max, const char *what) {
  if (!v.is_number_integer()) where.expected(what, v);
  bool in_range;
  int64_t result = 0;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    // nlohmann reads every non-negative integer as unsigned. A negative `max` (the first
    // node's inputs may only be -1) admits none of them: casting it would wrap.
    in_range = max >= 0 && u <= static_cast<uint64_t>(max);
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

Json write_pair(const Size2 &s) {
  if (s.h == s.w) return Json(s.h);
  return Json::array({s.h, s.w});
}

Json write_float(float x) {
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(x));
    const double back = std::strtod(text, nullptr);
    if (static_cast<float>(back) == x) return Json(back);
  }
  return Json(static_cast<double>(x));
}

}  // namespace nnstate::json
