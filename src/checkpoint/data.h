// Reading the data section: tensors into their destinations in file order, in large chunks,
// each chunk CRC'd while it is in cache; padding checked to be zero.
#pragma once

#include <vector>

#include "checkpoint/contents.h"
#include "checkpoint/io.h"

namespace nnstate::checkpoint {

struct ReadTarget {
  const TensorEntry *entry;
  void *destination;  // entry->byte_length bytes; null: only check the CRC
};

// Reads the targets (any order). With `verify`, checks each CRC and the padding after each
// tensor; with `check_gaps`, also every byte of the data section that no target covers (the
// whole-file verification passes every tensor and sets it).
void read_tensors(const Source &source, const Contents &contents, std::vector<ReadTarget> targets,
                  bool verify, bool check_gaps);

}  // namespace nnstate::checkpoint
