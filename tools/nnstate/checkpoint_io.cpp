#include "checkpoint_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "commands.h"

namespace nnstate_cli {

nnstate::Network load_network(const std::string &path, int32_t what) {
  return in_context("loading " + path,
                    [&] { return nnstate::Network::load(path, nnstate::load_options(what)); });
}

std::map<std::string, std::string> checkpoint_metadata(const std::string &path) {
  const nnstate::Checkpoint checkpoint =
      in_context("opening " + path, [&] { return nnstate::Checkpoint(path); });
  const nnstate::Metadata pairs =
      in_context(path + ": metadata", [&] { return checkpoint.metadata(); });
  return std::map<std::string, std::string>(pairs.begin(), pairs.end());
}

bool file_exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

void make_directories(const std::string &dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string part = dir.substr(0, slash);
    if (mkdir(part.c_str(), 0777) != 0 && errno != EEXIST) {
      throw std::runtime_error(part + ": cannot create directory: " + std::strerror(errno));
    }
    if (slash == std::string::npos) break;
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw std::runtime_error(dir + ": not a directory");
  }
}

}  // namespace nnstate_cli
