// ONNX export of a network in eval-mode semantics (BatchNorm with its running statistics,
// Dropout and Dropout2d as the identity), opset 13, one input "input" [batch, ...] with a
// dynamic batch dimension and one output "output". Built on the public API only.
#ifndef NNSTATE_ONNX_ONNX_EXPORT_H
#define NNSTATE_ONNX_ONNX_EXPORT_H

#include <cstdint>
#include <string>

#include <nnstate/nnstate.hpp>

namespace nnstate_onnx {

// The operator set written: read by onnx 1.12's checker and OpenCV 4.6's importer.
constexpr int64_t kOpsetVersion = 13;

// The serialized ModelProto. Throws ExportError (kind_exporters.h; a std::runtime_error) naming
// the node when a kind or option has no faithful ONNX form, nnstate::Error for a failed call.
std::string export_onnx(const nnstate::Network &network);
// The same written to `path` crash-safely (atomic_file.h); throws std::runtime_error with the
// system's reason when the file cannot be written, and then a previous file is untouched.
void export_onnx_file(const nnstate::Network &network, const std::string &path);

}  // namespace nnstate_onnx

#endif
