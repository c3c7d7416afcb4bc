// nnstate C++ wrapper: safetensors export and import, partial loads with renames and skip
// patterns (part of nnstate.hpp; include that).
#ifndef NNSTATE_CXX_SAFETENSORS_HPP
#define NNSTATE_CXX_SAFETENSORS_HPP

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "nnstate/cxx/error.hpp"
#include "nnstate/cxx/network.hpp"
#include "nnstate/cxx/options.hpp"

namespace nnstate {

// What a load did (nnstate_load_report), by tensor name.
struct LoadReport {
  std::vector<std::string> loaded, skipped, missing, unexpected, mismatched;
};

// Options of a partial load (nnstate_partial_load_options): (from, to) prefix renames and
// fnmatch patterns of file names to leave out.
struct PartialLoad {
  bool strict = false;
  std::vector<std::pair<std::string, std::string>> renames;
  std::vector<std::string> skip;
};

namespace detail {
inline LoadReport take_report(nnstate_load_report *raw) {
  Handle<nnstate_load_report, nnstate_load_report_free> report(raw);
  LoadReport out;
  std::array<std::vector<std::string> *, 5> lists = {&out.loaded, &out.skipped, &out.missing,
                                                     &out.unexpected, &out.mismatched};
  for (int32_t list = 0; list < 5; ++list) {
    size_t count = 0;
    check(nnstate_load_report_count(report.get(), list, &count));
    for (size_t i = 0; i < count; ++i) {
      const char *name = nullptr;
      check(nnstate_load_report_name(report.get(), list, i, &name));
      lists[static_cast<size_t>(list)]->emplace_back(name);
    }
  }
  return out;
}
}  // namespace detail

// Writes the network's parameters and buffers as .safetensors (nnstate_network_save_safetensors).
inline void save_safetensors(const Network &network, const std::string &path,
                             const Metadata &metadata = {}, bool fsync = true) {
  SaveOptions options(metadata, fsync);
  check(nnstate_network_save_safetensors(network.get(), path.c_str(), options.get()));
}

// Loads a .safetensors file by name (nnstate_network_load_safetensors); strict throws listing
// every difference.
inline LoadReport load_safetensors(Network &network, const std::string &path, bool strict = true) {
  nnstate_load_report *raw = nullptr;
  check(nnstate_network_load_safetensors(network.get(), path.c_str(), strict ? 1 : 0, &raw));
  return detail::take_report(raw);
}

// Loads the matching tensors of a checkpoint or .safetensors file (nnstate_network_load_partial).
inline LoadReport load_partial(Network &network, const std::string &path,
                               const PartialLoad &how = {}) {
  std::vector<const char *> from, to, skip;
  for (const auto &r : how.renames) {
    from.push_back(r.first.c_str());
    to.push_back(r.second.c_str());
  }
  for (const auto &s : how.skip) skip.push_back(s.c_str());
  nnstate_partial_load_options o;
  check(nnstate_partial_load_options_init(&o));
  o.strict = how.strict ? 1 : 0;
  o.rename_from = from.empty() ? nullptr : from.data();
  o.rename_to = to.empty() ? nullptr : to.data();
  o.rename_count = from.size();
  o.skip_patterns = skip.empty() ? nullptr : skip.data();
  o.skip_count = skip.size();
  nnstate_load_report *raw = nullptr;
  check(nnstate_network_load_partial(network.get(), path.c_str(), &o, &raw));
  return detail::take_report(raw);
}

// The value of `key` in a .safetensors file's __metadata__ (nnstate_safetensors_metadata), e.g.
// "nnstate.architecture", which Network::from_json takes.
inline std::string safetensors_metadata(const std::string &path, const std::string &key) {
  return read_text([&](char *buffer, size_t capacity, size_t *size) {
    return nnstate_safetensors_metadata(path.c_str(), key.c_str(), buffer, capacity, size);
  });
}

}  // namespace nnstate

#endif  // NNSTATE_CXX_SAFETENSORS_HPP
