#include "idx.h"

#include <cstdio>
#include <stdexcept>

namespace nnstate_cli {
namespace {

constexpr int kMaxDims = 4;

uint32_t read_be32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | static_cast<uint32_t>(p[3]);
}

std::string hex32(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

}  // namespace

IdxArray parse_idx(const uint8_t *data, size_t size) {
  if (size < 4) {
    throw std::runtime_error("not an IDX file: " + std::to_string(size) +
                             " bytes, the header needs at least 4");
  }
  const uint32_t magic = read_be32(data);
  if (data[0] != 0 || data[1] != 0) {
    throw std::runtime_error("not an IDX file: magic " + hex32(magic) +
                             " (expected 0x00000801 for labels or 0x00000803 for images)");
  }
  if (data[2] != 0x08) {
    throw std::runtime_error("IDX magic " + hex32(magic) + ": data type 0x" +
                             hex32(data[2]).substr(8) +
                             " is not supported (only unsigned bytes, 0x08)");
  }
  const int ndims = data[3];
  if (ndims < 1 || ndims > kMaxDims) {
    throw std::runtime_error("IDX magic " + hex32(magic) + ": " + std::to_string(ndims) +
                             " dimensions (supported: 1 to " + std::to_string(kMaxDims) + ")");
  }
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  if (size < header) {
    throw std::runtime_error("IDX header truncated: " + std::to_string(ndims) +
                             " dimensions need " + std::to_string(header) +
                             " bytes, the file has " + std::to_string(size));
  }
  IdxArray array;
  uint64_t count = 1;
  for (int d = 0; d < ndims; ++d) {
    const uint32_t dim = read_be32(data + 4 + 4 * d);
    if (dim == 0) throw std::runtime_error("IDX dimension " + std::to_string(d) + " is 0");
    array.dims.push_back(dim);
    // Saturates instead of wrapping: four 32-bit dimensions can overflow 64 bits.
    if (count != UINT64_MAX && __builtin_mul_overflow(count, uint64_t{dim}, &count)) {
      count = UINT64_MAX;
    }
  }
  if (count != size - header) {
    const std::string shape = idx_shape(array);
    if (count > size - header) {
      throw std::runtime_error(
          "IDX file truncated or dimensions too large: " + shape + " needs " +
          (count == UINT64_MAX ? std::string("more than 2^64") : std::to_string(count)) +
          " bytes of data, the file has " + std::to_string(size - header));
    }
    throw std::runtime_error("IDX file has " + std::to_string(size - header - count) +
                             " bytes after the " + std::to_string(count) + " bytes of " + shape +
                             " data");
  }
  array.values = data + header;
  array.count = static_cast<size_t>(count);
  return array;
}

std::string idx_shape(const IdxArray &array) {
  std::string text;
  for (size_t d = 0; d < array.dims.size(); ++d) {
    if (d) text += 'x';
    text += std::to_string(array.dims[d]);
  }
  return text;
}

void idx_images(const IdxArray &array, Floats &out, size_t &samples, size_t &features) {
  if (array.dims.size() < 2) {
    throw std::runtime_error("IDX shape " + idx_shape(array) +
                             " is a label file (1 dimension); expected images (magic 0x00000803)");
  }
  samples = array.dims[0];
  features = array.count / samples;
  out.resize(array.count);
  for (size_t i = 0; i < array.count; ++i) out[i] = static_cast<float>(array.values[i]) / 255.0f;
}

void idx_labels(const IdxArray &array, Floats &out) {
  if (array.dims.size() != 1) {
    throw std::runtime_error("IDX shape " + idx_shape(array) +
                             " is not a label file (expected 1 dimension, magic 0x00000801)");
  }
  out.resize(array.count);
  for (size_t i = 0; i < array.count; ++i) out[i] = static_cast<float>(array.values[i]);
}

}  // namespace nnstate_cli
