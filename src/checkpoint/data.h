// Reading the data section: tensors into their destinations in file order, in large chunks,
// each chunk CRC'd while it is in cache; every byte no tensor covers (padding, unreferenced
// blocks) checked to be zero on every path, so the loaders check what verify checks.
#pragma once

#include <vector>

#include "checkpoint/contents.h"
#include "checkpoint/io.h"

namespace nnstate::checkpoint {

struct ReadTarget {
  const TensorEntry *entry;  // an element of contents.tensors
  void *destination;         // entry->byte_length bytes; null: only check the CRC
};

// Reads the targets (any order) and, with `verify_crc`, checks each one's CRC. Tensors of
// `contents` that are not targets are skipped (neither read nor checked); every other byte of
// the data section must be zero.
void read_tensors(const Source &source, const Contents &contents, std::vector<ReadTarget> targets,
                  bool verify_crc);

}  // namespace nnstate::checkpoint
