#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace nnstate_onnx {
namespace {

[[noreturn]] void fail(const std::string &path, const std::string &what, int error) {
  throw std::runtime_error("cannot write " + path + ": " + what + std::strerror(error));
}

bool write_all(int fd, const std::string &bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string directory_of(const std::string &path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void write_file_atomically(const std::string &path, const std::string &bytes) {
  std::string name = path + ".XXXXXX";
  std::vector<char> pattern(name.begin(), name.end());
  pattern.push_back('\0');
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) fail(path, "", errno);
  const std::string temporary(pattern.data());
  const auto abandon = [&](const char *what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    fail(path, what, error);
  };
  if (::fchmod(fd, 0644) != 0) abandon("");  // mkstemp's 0600 would hide the model from others
  if (!write_all(fd, bytes)) abandon("");
  if (::fsync(fd) != 0) abandon("fsync: ");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail(path, "", error);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail(path, "rename: ", error);
  }
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {  // the rename is done; a directory that cannot be opened only loses durability
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace nnstate_onnx
