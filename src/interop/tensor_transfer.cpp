#include "interop/tensor_transfer.h"

#include <fnmatch.h>

#include <map>

#include "train/network_tensors.h"
#include "util/error.h"

namespace nnstate::interop {
namespace {

std::string shape_text(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::vector<int64_t> dims_of(const Shape &shape) {
  return std::vector<int64_t>(shape.dims, shape.dims + shape.rank);
}

bool skipped_by(const std::vector<std::string> &patterns, const std::string &name) {
  for (const std::string &p : patterns) {
    if (fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

std::string renamed(const std::vector<std::pair<std::string, std::string>> &renames,
                    const std::string &name) {
  for (const auto &r : renames) {
    if (name.compare(0, r.first.size(), r.first) == 0)
      return r.second + name.substr(r.first.size());
  }
  return name;
}

std::string quoted(const std::string &name) {
  return "\"" + name + "\"";
}

}  // namespace

TransferReport transfer_tensors(Graph &network, const TensorProvider &provider,
                                const TransferOptions &options) {
  const std::vector<TensorRef> refs = network_tensors(network);
  const std::vector<ProvidedTensor> &offered = provider.tensors();
  std::map<std::string, size_t> in_network;
  for (size_t i = 0; i < refs.size(); ++i) in_network.emplace(refs[i].name, i);

  TransferReport report;
  std::vector<std::string> missing_lines, unexpected_lines, mismatch_lines;
  std::map<std::string, size_t> provided;  // name after renaming -> index into `offered`
  for (size_t i = 0; i < offered.size(); ++i) {
    const ProvidedTensor &t = offered[i];
    if (skipped_by(options.skip, t.name)) {
      report.skipped.push_back(t.name);
      continue;
    }
    const std::string name = renamed(options.renames, t.name);
    const auto added = provided.emplace(name, i);
    if (!added.second) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           provider.label() + ": " + quoted(offered[added.first->second].name) + " and " +
               quoted(t.name) + " both become " + quoted(name) + " after renaming");
    }
    if (!in_network.count(name)) {
      report.unexpected.push_back(name);
      unexpected_lines.push_back("not in the network: " + quoted(name) + " " + shape_text(t.shape) +
                                 (name == t.name ? "" : " (renamed from " + quoted(t.name) + ")"));
    }
  }

  std::vector<std::pair<size_t, float *>> targets;
  for (const TensorRef &ref : refs) {
    const std::vector<int64_t> want = dims_of(ref.value->shape());
    const auto it = provided.find(ref.name);
    if (it == provided.end()) {
      report.missing.push_back(ref.name);
      missing_lines.push_back("missing from the file: " + quoted(ref.name) + " " +
                              shape_text(want));
      continue;
    }
    const ProvidedTensor &t = offered[it->second];
    if (t.shape != want || !t.unreadable.empty()) {
      report.mismatched.push_back(ref.name);
      mismatch_lines.push_back(quoted(ref.name) + ": file " + shape_text(t.shape) + ", network " +
                               shape_text(want) +
                               (t.unreadable.empty() ? "" : ", " + t.unreadable));
      continue;
    }
    report.loaded.push_back(ref.name);
    targets.emplace_back(it->second, ref.value->data());
  }
  for (auto *lines : {&missing_lines, &unexpected_lines, &mismatch_lines}) {
    report.problems.insert(report.problems.end(), lines->begin(), lines->end());
  }
  if (options.strict && !report.problems.empty()) {
    std::string message = provider.label() + " does not match the network:";
    for (const std::string &p : report.problems) message += "\n  " + p;
    fail(report.mismatched.empty() ? NNSTATE_ERR_NOT_FOUND : NNSTATE_ERR_SHAPE_MISMATCH, message);
  }
  provider.read(targets);
  return report;
}

}  // namespace nnstate::interop
