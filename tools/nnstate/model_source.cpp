#include "model_source.h"

#include <stdexcept>

#include "arch_spec.h"
#include "args.h"
#include "commands.h"
#include "file_io.h"
#include "graph_view.h"

namespace nnstate_cli {
namespace {

// The shape without its leading 1s: [1, 28, 28] and 28x28 images are alike.
std::vector<int64_t> without_leading_ones(std::vector<int64_t> dims) {
  size_t ones = 0;
  while (ones + 1 < dims.size() && dims[ones] == 1) ++ones;
  dims.erase(dims.begin(), dims.begin() + static_cast<std::ptrdiff_t>(ones));
  return dims;
}

// "28x28" -> {28, 28}
std::vector<int64_t> parse_sample_shape(const std::string &text) {
  std::vector<int64_t> dims;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('x', start);
    if (end == std::string::npos) end = text.size();
    dims.push_back(std::stoll(text.substr(start, end - start)));
    start = end + 1;
  }
  return dims;
}

void fill_sizes(ModelSource &m) {
  m.input_size = in_context(
      m.name, [&] { return m.network.input_size(); }, Blame::usage);
  m.output_size = in_context(
      m.name, [&] { return m.network.output_size(); }, Blame::usage);
}

}  // namespace

ModelSource arch_model(const std::string &arch, uint64_t seed) {
  const ArchSpec spec = parse_arch_spec(arch);
  ModelSource m{arch, "", "the architecture " + arch, describe(spec), {spec.input_size},
                0,    0,  build_network(spec, seed)};
  fill_sizes(m);
  return m;
}

ModelSource document_model(const std::string &document, const std::string &origin, uint64_t seed) {
  ModelSource m;
  m.name = "the model " + origin;
  m.network = in_context(
      origin, [&] { return nnstate::Network::from_json(document, seed); }, Blame::usage);
  m.document = m.network.to_json();
  m.input_shape = document_input_shape(m.document);
  fill_sizes(m);
  m.summary = origin + ": " + std::to_string(m.network.layer_count()) + " nodes, input " +
              dims_text(m.input_shape) + ", " + std::to_string(m.network.parameter_count()) +
              " parameters";
  return m;
}

ModelSource file_model(const std::string &path, uint64_t seed) {
  const Bytes bytes = read_file(path);
  const std::string text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  // The library reads a C string: a NUL would silently cut the document short.
  const size_t nul = text.find('\0');
  if (nul != std::string::npos) {
    throw UsageError(path + ": a NUL byte at offset " + std::to_string(nul) +
                     " (a network document is JSON text)");
  }
  return document_model(text, path, seed);
}

void check_sample_shape(const Data &data, const ModelSource &model) {
  if (data.sample_shape.empty() || model.input_shape.size() <= 1) return;
  const std::vector<int64_t> images = parse_sample_shape(data.sample_shape);
  if (without_leading_ones(images) != without_leading_ones(model.input_shape)) {
    throw std::runtime_error(data.name + ": samples of shape " + data.sample_shape + ", but " +
                             model.name + " takes samples of shape " +
                             dims_text(model.input_shape));
  }
}

}  // namespace nnstate_cli
