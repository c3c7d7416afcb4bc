// IDX files (the MNIST format): a big-endian header -- two zero bytes, a type byte, the number
// of dimensions, then one 32-bit size per dimension -- followed by the values. Only unsigned
// bytes (type 0x08) are supported: labels are magic 0x00000801, images 0x00000803.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "large_alloc.h"

namespace nnstate_cli {

struct IdxArray {
  std::vector<uint32_t> dims;
  const uint8_t *values = nullptr;  // points into the parsed buffer
  size_t count = 0;                 // product of dims
};

// Validates the header against the buffer's size before anything is sized from it: the
// dimensions' product (overflow-checked) must account for exactly the bytes after the header.
IdxArray parse_idx(const uint8_t *data, size_t size);

// "60000x28x28"
std::string idx_shape(const IdxArray &array);

// Images: dims [samples, ...] with at least two dims; each sample flattened to the product of
// the remaining dims, values scaled from 0..255 to [0, 1].
void idx_images(const IdxArray &array, Floats &out, size_t &samples, size_t &features);

// Labels: one dim [samples]; values become class indices stored as floats.
void idx_labels(const IdxArray &array, Floats &out);

}  // namespace nnstate_cli
