// Text handed to the caller in a buffer of theirs, as nnstate_network_node_json documents it:
// the NUL-terminated text when it fits, and in every case its size (NUL included).
#pragma once

#include <cstddef>
#include <cstring>
#include <string>

#include "util/error.h"

namespace nnstate::capi {

// Sets *size_out (checked non-NULL by the caller), then copies `text` or throws SHAPE_MISMATCH
// naming both sizes when it does not fit (or `buffer` is NULL, to ask for the size).
inline void copy_text_out(const std::string &text, char *buffer, size_t capacity,
                          size_t *size_out) {
  const size_t size = text.size() + 1;  // with the terminating NUL
  *size_out = size;
  if (!buffer || size > capacity) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, "the description needs " + std::to_string(size) +
                                         " bytes, the buffer has " +
                                         std::to_string(buffer ? capacity : 0));
  }
  std::memcpy(buffer, text.c_str(), size);
}

}  // namespace nnstate::capi
