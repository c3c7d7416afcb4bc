#include "file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "gzip.h"

namespace nnstate_cli {

Bytes read_file(const std::string &path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const std::string reason = std::strerror(errno);
    close(fd);
    throw std::runtime_error(path + ": cannot stat: " + reason);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    throw std::runtime_error(path +
                             (S_ISDIR(st.st_mode) ? ": is a directory" : ": not a regular file"));
  }
  Bytes data;
  try {
    data.resize(static_cast<size_t>(st.st_size));
  } catch (const std::bad_alloc &) {
    close(fd);
    throw std::runtime_error(path + ": out of memory reading " + std::to_string(st.st_size) +
                             " bytes");
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = n < 0 ? std::strerror(errno) : "file shrank while reading";
      close(fd);
      throw std::runtime_error(path + ": read failed after " + std::to_string(done) +
                               " bytes: " + reason);
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return data;
}

Bytes read_data_file(const std::string &path) {
  Bytes raw = read_file(path);
  if (!is_gzip(raw.data(), raw.size())) return raw;
  try {
    return gunzip(raw.data(), raw.size(), kMaxDecompressedBytes);
  } catch (const std::runtime_error &e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace nnstate_cli
