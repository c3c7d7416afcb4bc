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

}  // namespace nnstate::checkpoint
