// Unit tests of the ONNX exporter (tools/onnx): the graph it writes for small networks, read back
// with ONNX's own protobuf classes, and its refusals. (tests/onnx/onnx_export_test.py runs the
// exported files in OpenCV.)
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "kind_exporters.h"
#include "onnx_export.h"

namespace {

onnx::ModelProto exported(const nnstate::Network &network) {
  onnx::ModelProto model;
  REQUIRE(model.ParseFromString(nnstate_onnx::export_onnx(network)));
  return model;
}

std::vector<std::string> op_types(const onnx::ModelProto &model) {
  std::vector<std::string> ops;
  for (const onnx::NodeProto &node : model.graph().node()) ops.push_back(node.op_type());
  return ops;
}

const onnx::NodeProto &first_node(const onnx::ModelProto &model, const std::string &op) {
  for (const onnx::NodeProto &node : model.graph().node()) {
    if (node.op_type() == op) return node;
  }
  FAIL("no " << op << " node");  // throws
  static const onnx::NodeProto none;
  return none;
}

std::vector<int64_t> ints(const onnx::NodeProto &node, const std::string &name) {
  for (const onnx::AttributeProto &a : node.attribute()) {
    if (a.name() == name) return std::vector<int64_t>(a.ints().begin(), a.ints().end());
  }
  return {};
}

int64_t integer(const onnx::NodeProto &node, const std::string &name) {
  for (const onnx::AttributeProto &a : node.attribute()) {
    if (a.name() == name) return a.i();
  }
  FAIL("no attribute " << name);
  return 0;
}

std::vector<float> initializer(const onnx::ModelProto &model, const std::string &name) {
  for (const onnx::TensorProto &t : model.graph().initializer()) {
    if (t.name() != name) continue;
    std::vector<float> values(t.raw_data().size() / sizeof(float));
    std::memcpy(values.data(), t.raw_data().data(), values.size() * sizeof(float));
    return values;
  }
  FAIL("no initializer " << name);
  return {};
}

std::string refusal(const std::string &document) {
  const nnstate::Network network = nnstate::Network::from_json(document, 1);
  try {
    nnstate_onnx::export_onnx(network);
  } catch (const nnstate_onnx::ExportError &e) {
    return e.what();
  }
  return "(exported)";
}

const char *const kCnn = R"({"input_shape": [1, 6, 6], "nodes": [
  {"kind": "Conv2d", "name": "conv1", "in_channels": 1, "out_channels": 2, "kernel_size": 4,
   "padding": "same"},
  {"kind": "BatchNorm2d", "num_features": 2},
  {"kind": "ReLU"}, {"kind": "Dropout", "p": 0.5},
  {"kind": "MaxPool2d", "kernel_size": 2},
  {"kind": "Flatten"},
  {"kind": "Linear", "name": "fc", "in_features": 18, "out_features": 3}]})";

}  // namespace

TEST_CASE("a CNN becomes Conv to Gemm at opset 13 with a dynamic batch") {
  nnstate::Network network = nnstate::Network::from_json(kCnn, 7);
  network.set_tensor("1.running_mean", {0.25f, -1.5f});
  network.set_tensor("1.running_var", {2.0f, 0.5f});
  const onnx::ModelProto model = exported(network);
  CHECK(model.opset_import(0).version() == nnstate_onnx::kOpsetVersion);
  CHECK(model.opset_import(0).version() == 13);
  CHECK(op_types(model) == std::vector<std::string>{"Conv", "BatchNormalization", "Relu",
                                                    "Identity", "MaxPool", "Flatten", "Gemm"});
  const onnx::ValueInfoProto &input = model.graph().input(0);
  CHECK(input.name() == "input");
  const onnx::TensorShapeProto &shape = input.type().tensor_type().shape();
  REQUIRE(shape.dim_size() == 4);
  CHECK(shape.dim(0).dim_param() == "batch");
  CHECK(shape.dim(1).dim_value() == 1);
  CHECK(shape.dim(3).dim_value() == 6);
  CHECK(model.graph().output(0).name() == "output");
  CHECK(model.graph().node().rbegin()->output(0) == "output");
  // padding="same" with an even kernel: PyTorch puts the odd cell at the end.
  CHECK(ints(first_node(model, "Conv"), "pads") == std::vector<int64_t>{1, 1, 2, 2});
  CHECK(integer(first_node(model, "Gemm"), "transB") == 1);
  // Eval mode: the running statistics, by their PyTorch names.
  CHECK(initializer(model, "1.running_mean") == std::vector<float>{0.25f, -1.5f});
  CHECK(initializer(model, "1.running_var") == std::vector<float>{2.0f, 0.5f});
  CHECK(initializer(model, "fc.weight") == network.tensor("fc.weight"));
}

TEST_CASE("merges of three inputs chain binary operators and Concat keeps its axis") {
  const nnstate::Network network = nnstate::Network::from_json(R"({"nodes": [
    {"kind": "Linear", "name": "a", "in_features": 2, "out_features": 3},
    {"kind": "Add", "inputs": ["a", "a", "a"]},
    {"kind": "Concat", "inputs": [1, "a"], "dim": -1}]})",
                                                               1);
  const onnx::ModelProto model = exported(network);
  CHECK(op_types(model) == std::vector<std::string>{"Gemm", "Add", "Add", "Concat"});
  CHECK(integer(first_node(model, "Concat"), "axis") == 1);
}

TEST_CASE("average pooling that counts padding pads explicitly with zeros") {
  const nnstate::Network counted = nnstate::Network::from_json(
      R"({"input_shape": [1, 4, 4], "nodes": [{"kind": "AvgPool2d", "kernel_size": 3,
          "stride": 1, "padding": [1, 0]}]})",
      1);
  CHECK(op_types(exported(counted)) == std::vector<std::string>{"Pad", "AveragePool"});
  const nnstate::Network excluded = nnstate::Network::from_json(
      R"({"input_shape": [1, 4, 4], "nodes": [{"kind": "AvgPool2d", "kernel_size": 3,
          "stride": 1, "padding": 1, "count_include_pad": false}]})",
      1);
  const onnx::ModelProto model = exported(excluded);
  CHECK(op_types(model) == std::vector<std::string>{"AveragePool"});
  CHECK(integer(first_node(model, "AveragePool"), "count_include_pad") == 0);
}

TEST_CASE("options without a faithful ONNX form are refused naming the node and why") {
  CHECK(refusal(R"({"input_shape": [1, 8, 8], "nodes": [
          {"kind": "AdaptiveAvgPool2d", "name": "pool", "output_size": [3, 4]}]})") ==
        "cannot export node 0 \"pool\" (AdaptiveAvgPool2d) to ONNX: output_size 3x4 does not "
        "divide the input's 8x8: PyTorch's windows then differ in size or overlap, which no "
        "ONNX pooling operator expresses");
  CHECK(refusal(R"({"nodes": [{"kind": "Linear", "in_features": 2, "out_features": 3},
          {"kind": "BatchNorm1d", "num_features": 3, "track_running_stats": false}]})") ==
        "cannot export node 1 (BatchNorm1d) to ONNX: track_running_stats=false normalises with "
        "each batch's own statistics even in eval mode; ONNX's BatchNormalization takes fixed "
        "statistics");
  // Output sizes that divide the input are an AveragePool.
  CHECK(refusal(R"({"input_shape": [1, 8, 6], "nodes": [
          {"kind": "AdaptiveAvgPool2d", "output_size": [4, 3]}]})") == "(exported)");
}

TEST_CASE("a file that cannot be written is an error with the reason") {
  const nnstate::Network network = nnstate::Network::from_json(kCnn, 1);
  const std::string path = "/nonexistent-directory/model.onnx";
  try {
    nnstate_onnx::export_onnx_file(network, path);
    FAIL("no error");
  } catch (const std::runtime_error &e) {
    CHECK(std::string(e.what()) == "cannot write " + path + ": No such file or directory");
  }
  // A refused network leaves a previous file as it was.
  const std::string kept = "onnx_unit_test_kept.onnx";
  std::ofstream(kept) << "previous";
  const nnstate::Network refused = nnstate::Network::from_json(
      R"({"input_shape": [1, 8, 8], "nodes": [{"kind": "AdaptiveAvgPool2d", "output_size": 3}]})",
      1);
  CHECK_THROWS_AS(nnstate_onnx::export_onnx_file(refused, kept), nnstate_onnx::ExportError);
  std::string text;
  std::ifstream(kept) >> text;
  CHECK(text == "previous");
  std::remove(kept.c_str());
  const std::string written = "onnx_unit_test_model.onnx";
  nnstate_onnx::export_onnx_file(network, written);
  std::ifstream in(written, std::ios::binary);
  onnx::ModelProto model;
  CHECK(model.ParseFromIstream(&in));
  CHECK(model.graph().node_size() == 7);
  std::remove(written.c_str());
  for (const auto &entry : std::filesystem::directory_iterator(".")) {  // no temporary left
    CHECK(entry.path().filename().string().rfind(written, 0) == std::string::npos);
  }
}
