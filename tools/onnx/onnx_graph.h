// Appends to an ONNX graph (onnx::GraphProto): operator nodes with their attributes, float and
// int64 initializers, and value names that never collide.
#ifndef NNSTATE_ONNX_ONNX_GRAPH_H
#define NNSTATE_ONNX_ONNX_GRAPH_H

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace nnstate_onnx {

class OnnxGraph {
 public:
  explicit OnnxGraph(onnx::GraphProto *graph) : graph_(graph) {}

  // A value name not used yet, `base` itself when free ("conv1", else "conv1_1", ...).
  std::string fresh(const std::string &base);

  // Appends `op_type` (default domain) from `inputs` to `outputs`; returns it for attributes.
  onnx::NodeProto &node(const std::string &op_type, const std::vector<std::string> &inputs,
                        const std::vector<std::string> &outputs);

  // Initializers (constant tensors); each returns its value name, made fresh from `base`.
  std::string floats(const std::string &base, const std::vector<int64_t> &dims,
                     const std::vector<float> &values);
  std::string scalar(const std::string &base, float value);
  std::string int64s(const std::string &base, const std::vector<int64_t> &values);

 private:
  onnx::GraphProto *graph_;
  std::set<std::string> used_;
};

void set_attribute(onnx::NodeProto &node, const std::string &name, int64_t value);
void set_attribute(onnx::NodeProto &node, const std::string &name, float value);
void set_attribute(onnx::NodeProto &node, const std::string &name,
                   const std::vector<int64_t> &values);

}  // namespace nnstate_onnx

#endif
