// Reading the data section: tensors into their destinations in file order, in large chunks,
// each chunk CRC'd while it is in cache (large reads in pieces on two threads, their CRCs joined);
// every byte no tensor covers (padding, unreferenced blocks) checked to be zero on every path that
// has not verified the file before, so the loaders check what verify checks.
#pragma once

#include <vector>

#include "checkpoint/contents.h"
#include "checkpoint/io.h"

namespace nnstate::checkpoint {

struct ReadTarget {
  const TensorEntry *entry;  // an element of contents.tensors
  void *destination;         // entry->byte_length bytes; null: only check the CRC
  // The destination holds the tensor's bytes already (a mapping of the same file): they are
  // checked there, not copied.
  bool in_place = false;
};

// What read_tensors checks while it reads.
enum class DataCheck : int32_t {
  crc_and_padding,  // each target's CRC, and every byte no tensor covers is zero
  padding,          // only the bytes no tensor covers
  none,             // nothing: the data section was verified before (verify_data)
};

// Checks the CRC32C of tensor `e` whose bytes are at `bytes` (CORRUPT naming it on mismatch).
void check_tensor_crc(const Contents &contents, const TensorEntry &e, const unsigned char *bytes);
// The error of a tensor whose bytes have CRC32C `computed`, not the stored one.
[[noreturn]] void fail_tensor_crc(const Contents &contents, const TensorEntry &e,
                                  uint32_t computed);

// Reads the targets (any order) and checks what `check` says. Tensors of `contents` that are
// not targets are skipped (neither read nor checked).
void read_tensors(const Source &source, const Contents &contents, std::vector<ReadTarget> targets,
                  DataCheck check);

}  // namespace nnstate::checkpoint
