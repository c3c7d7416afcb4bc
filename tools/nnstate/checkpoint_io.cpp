#include "checkpoint_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace nnstate_cli {

void save_checkpoint(nnstate_network *network, const std::string &path, const Metadata &metadata) {
  std::vector<const char *> keys, values;
  for (const auto &kv : metadata) {
    keys.push_back(kv.first.c_str());
    values.push_back(kv.second.c_str());
  }
  nnstate_save_options options;
  nnstate_save_options_init(&options);
  options.metadata_keys = keys.empty() ? nullptr : keys.data();
  options.metadata_values = values.empty() ? nullptr : values.data();
  options.metadata_count = keys.size();
  check(nnstate_checkpoint_save(network, path.c_str(), &options), "saving " + path);
}

NetworkPtr load_checkpoint(const std::string &path, int32_t what) {
  nnstate_load_options options;
  nnstate_load_options_init(&options);
  options.what = what;
  nnstate_network *raw = nullptr;
  check(nnstate_checkpoint_load(&raw, path.c_str(), &options), "loading " + path);
  return NetworkPtr(raw);
}

std::map<std::string, std::string> checkpoint_metadata(const std::string &path) {
  nnstate_checkpoint *raw = nullptr;
  check(nnstate_checkpoint_open(&raw, path.c_str(), nullptr), "opening " + path);
  CheckpointPtr checkpoint(raw);
  size_t count = 0;
  check(nnstate_checkpoint_metadata_count(raw, &count), path + ": metadata");
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < count; ++i) {
    const char *key = nullptr, *value = nullptr;
    check(nnstate_checkpoint_metadata_at(raw, i, &key, &value), path + ": metadata");
    out[key] = value;
  }
  return out;
}

bool file_exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

void make_directories(const std::string &dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string part = dir.substr(0, slash);
    if (mkdir(part.c_str(), 0777) != 0 && errno != EEXIST) {
      fail_runtime(part + ": cannot create directory: " + std::strerror(errno));
    }
    if (slash == std::string::npos) break;
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    fail_runtime(dir + ": not a directory");
  }
}

}  // namespace nnstate_cli
