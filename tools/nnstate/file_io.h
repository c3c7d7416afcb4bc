// Reading whole input files, transparently decompressing gzip.
#pragma once

#include <string>

#include "large_alloc.h"

namespace nnstate_cli {

// The most a compressed input may expand to; a larger result is refused as a likely bomb.
constexpr size_t kMaxDecompressedBytes = size_t{4} << 30;

// The file's bytes. Errors name the path and give the system's reason.
Bytes read_file(const std::string &path);

// The file's bytes, gunzipped when the file starts with the gzip magic. Errors (I/O and gzip
// format alike) start with the path.
Bytes read_data_file(const std::string &path);

}  // namespace nnstate_cli
