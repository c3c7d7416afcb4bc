// Strict JSON text (RFC 8259) for `nnstate dump`: strings escaped, and numbers that JSON
// cannot express (NaN, ±Inf) written as null.
#pragma once

#include <cstdint>
#include <string>

namespace nnstate_cli {

// "text" with quotes; control characters and invalid UTF-8 bytes become \u escapes.
std::string json_string(const std::string &text);
// Text that reads back to the same float (9 significant digits); null when not finite.
std::string json_float(float value);
// The same for doubles (the fewest of 15 to 17 significant digits that round-trip).
std::string json_double(double value);

}  // namespace nnstate_cli
