// Validating untrusted checkpoint bytes: the manifest into Contents, then the data section.
#pragma once

#include "checkpoint/contents.h"
#include "checkpoint/io.h"

namespace nnstate::checkpoint {

// Header, manifest CRC, FlatBuffers verification and semantic checks (no tensor data read).
Contents read_contents(const Source &source);
// Every tensor CRC and every padding byte; with read_contents this checks every byte.
void verify_data(const Source &source, const Contents &contents);
// verify_data, or without `verify_crc` only the bytes outside tensors (padding and any
// unreferenced block must be zero): what opening a file for inspection checks.
void check_data(const Source &source, const Contents &contents, bool verify_crc);

// A checkpoint validated once and handed to the loaders (load.h), so that none of them reads or
// checks its manifest again: the source its tensors come from (which must outlive this), its
// Contents, and whether its data section was verified too. A verified one's tensors are only
// copied; otherwise each loader checks the tensors (and padding) it reads as it reads them.
struct ValidatedCheckpoint {
  const Source &source;
  Contents contents;
  bool data_verified;
};
// read_contents and, with `with_data`, verify_data: then nothing of the file is unchecked.
ValidatedCheckpoint validate(const Source &source, bool with_data);

}  // namespace nnstate::checkpoint
