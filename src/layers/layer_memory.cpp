#include "layers/layer_memory.h"

#include <cstdint>

#include "util/error.h"
#include "util/memory.h"

namespace nnstate {

void check_layer_memory(const std::string &layer, std::initializer_list<Shape> shapes,
                        size_t bytes_per_element) {
  uint64_t total = 0;
  for (const Shape &shape : shapes) {
    uint64_t bytes = bytes_per_element;
    bool overflow = false;
    for (int i = 0; i < shape.rank; ++i) {
      overflow |=
          shape[i] < 0 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(shape[i]), &bytes);
    }
    overflow |= __builtin_add_overflow(total, bytes, &total);
    if (overflow) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           layer + ": a tensor of shape " + shape.to_string() + " at " +
               std::to_string(bytes_per_element) +
               " bytes per element does not fit in a 64-bit byte count");
    }
  }
  check_fits_in_memory(total, layer.c_str());
}

}  // namespace nnstate
