#include "onnx_graph.h"

namespace nnstate_onnx {

std::string OnnxGraph::fresh(const std::string &base) {
  std::string name = base;
  for (int suffix = 1; used_.count(name); ++suffix) name = base + "_" + std::to_string(suffix);
  used_.insert(name);
  return name;
}

onnx::NodeProto &OnnxGraph::node(const std::string &op_type, const std::vector<std::string> &inputs,
                                 const std::vector<std::string> &outputs) {
  onnx::NodeProto &node = *graph_->add_node();
  node.set_op_type(op_type);
  node.set_name(outputs.empty() ? op_type : outputs.front());
  for (const std::string &input : inputs) node.add_input(input);
  for (const std::string &output : outputs) node.add_output(output);
  return node;
}

std::string OnnxGraph::floats(const std::string &base, const std::vector<int64_t> &dims,
                              const std::vector<float> &values) {
  onnx::TensorProto &tensor = *graph_->add_initializer();
  tensor.set_name(fresh(base));
  tensor.set_data_type(onnx::TensorProto_DataType_FLOAT);
  for (int64_t d : dims) tensor.add_dims(d);
  // raw_data is little-endian by ONNX's definition, as floats are on our platforms.
  tensor.set_raw_data(values.data(), values.size() * sizeof(float));
  return tensor.name();
}

std::string OnnxGraph::scalar(const std::string &base, float value) {
  return floats(base, {}, {value});
}

std::string OnnxGraph::int64s(const std::string &base, const std::vector<int64_t> &values) {
  onnx::TensorProto &tensor = *graph_->add_initializer();
  tensor.set_name(fresh(base));
  tensor.set_data_type(onnx::TensorProto_DataType_INT64);
  tensor.add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) tensor.add_int64_data(v);
  return tensor.name();
}

void set_attribute(onnx::NodeProto &node, const std::string &name, int64_t value) {
  onnx::AttributeProto &a = *node.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto_AttributeType_INT);
  a.set_i(value);
}

void set_attribute(onnx::NodeProto &node, const std::string &name, float value) {
  onnx::AttributeProto &a = *node.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto_AttributeType_FLOAT);
  a.set_f(value);
}

void set_attribute(onnx::NodeProto &node, const std::string &name,
                   const std::vector<int64_t> &values) {
  onnx::AttributeProto &a = *node.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto_AttributeType_INTS);
  for (int64_t v : values) a.add_ints(v);
}

}  // namespace nnstate_onnx
