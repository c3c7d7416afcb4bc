// Crash-safe file replacement: the bytes go to a temporary file in the target's directory, which
// is fsync'ed and renamed over the target, then the directory is fsync'ed. On any failure the
// previous file is untouched and the temporary removed.
#ifndef NNSTATE_ONNX_ATOMIC_FILE_H
#define NNSTATE_ONNX_ATOMIC_FILE_H

#include <string>

namespace nnstate_onnx {

// Throws std::runtime_error "cannot write PATH: <the system's reason>".
void write_file_atomically(const std::string &path, const std::string &bytes);

}  // namespace nnstate_onnx

#endif
