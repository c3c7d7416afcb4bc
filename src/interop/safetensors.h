// The safetensors format (github.com/huggingface/safetensors), both ways:
//   [u64 little-endian N] [N bytes of JSON header, padded with spaces to a multiple of 8]
//   [data area: every tensor's bytes, little-endian, row-major, back to back]
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// into the data area) and may hold "__metadata__", a map of strings. A file is untrusted: its
// header is bounded before it is read, parsed with duplicate keys refused, and every dtype,
// shape and offset is checked (inside the data area, no overlap, no hole, shape product times
// dtype size equal to the byte length) before any tensor is read. Refusals are CORRUPT and name
// the file and the tensor.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/io.h"
#include "layers/graph.h"

namespace nnstate::interop {

// The reference implementation's bound on the header; a larger one is refused before reading.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100000000;
// More dimensions than any tensor has; bounds what a header may ask us to store.
constexpr size_t kMaxSafetensorsRank = 32;

// Metadata keys this library writes besides PyTorch's {"format": "pt"}.
constexpr const char *kArchitectureKey = "nnstate.architecture";  // the network JSON document
constexpr const char *kVersionKey = "nnstate.version";            // the library version

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // "F32", "BF16", ... (a dtype of the format)
  size_t element_size = 0;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // offsets into the data area

  // Whether the dtype converts to float32 (F32, F16, BF16, F64, I64).
  bool readable() const;
};

struct SafetensorsHeader {
  std::string file;          // label in messages
  uint64_t data_start = 0;   // 8 + header length: where the data area starts in the file
  uint64_t data_length = 0;  // bytes of the data area (the rest of the file)
  std::vector<SafetensorsEntry> tensors;  // in the order of their offsets
  std::vector<std::pair<std::string, std::string>> metadata;

  const SafetensorsEntry *find(const std::string &name) const;
  const std::string *metadata_value(const std::string &key) const;
};

// "safetensors file \"path\"": the prefix of every message about a file.
std::string describe_safetensors(const std::string &file);

// Reads and validates the header of `source`. Throws Error (CORRUPT, IO).
SafetensorsHeader read_safetensors_header(const checkpoint::Source &source);

// Reads `entry` converted to float32 into `destination` (its product of dims floats). Throws
// INVALID_ARGUMENT when its dtype does not convert, IO when the source fails.
void read_safetensors_tensor(const checkpoint::Source &source, const SafetensorsHeader &header,
                             const SafetensorsEntry &entry, float *destination);

// Writes the network's parameters and buffers (state_dict names and order; F32, except
// BatchNorm's num_batches_tracked which is I64 as in PyTorch) with the architecture and the
// library version in the metadata, and the caller's `metadata` pairs beside them (non-empty
// unique keys other than "format" and "nnstate.*", else INVALID_ARGUMENT).
using Metadata = std::vector<std::pair<std::string, std::string>>;
void write_safetensors(Graph &network, checkpoint::Sink &sink, const Metadata &metadata = {});
// The same into `path`, crash-safely (temporary file, fsync when `sync`, rename): on failure
// the previous file is untouched.
void save_safetensors(Graph &network, const std::string &path, bool sync,
                      const Metadata &metadata = {});

}  // namespace nnstate::interop
