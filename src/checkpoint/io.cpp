#include "checkpoint/io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

#include "checkpoint/container.h"
#include "util/error.h"
#include "util/memory.h"

namespace nnstate::checkpoint {
namespace {

constexpr size_t kStagingSize = size_t{64} << 10;
// With fsync, writeback of what was written is started every this many bytes, so the disk works
// while the rest is written and the final fsync waits only for the tail.
constexpr uint64_t kWritebackStep = uint64_t{16} << 20;
// Each write() hands the kernel at most this much. Linux 6.x sizes page-cache folios by the
// write: a 100 MB write gets 2 MiB folios, whose allocation stalls for compaction when memory is
// fragmented (on this project's VMs, which hand freed memory back to their host, 1 write in 4 of
// 4 MiB or more took 3-6x as long; none of 1 MiB did, at the same throughput otherwise).
constexpr size_t kWriteStep = size_t{1} << 20;

std::string directory_of(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "<dir>/.nnst-tmp-<pid>-<n>": at most 31 bytes of name whatever the target's name, so a
// target of NAME_MAX bytes still has a temporary (the target's name plus a suffix would not).
std::string unique_temp_name(const std::string &path) {
  static std::atomic<unsigned> counter{0};
  return directory_of(path) + "/" + kTemporaryPrefix + std::to_string(getpid()) + "-" +
         std::to_string(counter++);
}

[[noreturn]] void io_error(const std::string &file, const std::string &what, int error) {
  fail(NNSTATE_ERR_IO, describe_file(file) + ": " + what + ": " + errno_text(error));
}

// Opens a file for reading and returns its size; refuses what is not a regular file.
int open_regular(const std::string &path, uint64_t &size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    fail(error == ENOENT ? NNSTATE_ERR_NOT_FOUND : NNSTATE_ERR_IO,
         describe_file(path) + ": cannot open: " + errno_text(error));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    io_error(path, "cannot stat", error);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(NNSTATE_ERR_IO, describe_file(path) + ": not a regular file");
  }
  size = static_cast<uint64_t>(st.st_size);
  return fd;
}

}  // namespace

std::string errno_text(int error) {
  char buffer[256];
  // GNU strerror_r may return a static string instead of filling the buffer.
  const char *text = strerror_r(error, buffer, sizeof buffer);
  return std::string(text) + " (errno " + std::to_string(error) + ")";
}

// ---- FileSink -------------------------------------------------------------------------------

FileSink::FileSink(const std::string &path, bool sync)
    : path_(path), sync_(sync), staging_(new unsigned char[kStagingSize]) {
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    temp_path_ = unique_temp_name(path);
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) {
      int error = errno;
      temp_path_.clear();
      io_error(path_, "cannot create a temporary file in \"" + directory_of(path_) + "\"", error);
    }
  }
  if (fd_ < 0) fail(NNSTATE_ERR_IO, describe_file(path_) + ": no free temporary file name");
}

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void FileSink::fail_errno(const std::string &what, int error) const {
  io_error(path_, what + " \"" + temp_path_ + "\"", error);
}

void FileSink::write_fd(const void *data, size_t size) {
  const auto *p = static_cast<const unsigned char *>(data);
  while (size > 0) {
    // With sync, writeback starts every kWritebackStep bytes while the next are copied (a
    // tensor of 1 GB would otherwise reach the disk only once copied).
    ssize_t n = ::write(fd_, p, std::min(size, kWriteStep));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("cannot write", errno);
    }
    if (n == 0) fail_errno("cannot write (no progress)", EIO);
    p += n;
    size -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
    if (sync_ && written_ - writeback_from_ >= kWritebackStep) {
      // Only a hint (a failure is reported by the fsync of commit()).
      ::sync_file_range(fd_, static_cast<off_t>(writeback_from_),
                        static_cast<off_t>(written_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
      writeback_from_ = written_;
    }
  }
}

void FileSink::flush() {
  if (staged_ == 0) return;
  size_t n = staged_;
  staged_ = 0;
  write_fd(staging_.get(), n);
}

void FileSink::write(const void *data, size_t size) {
  if (staged_ + size <= kStagingSize) {
    std::memcpy(staging_.get() + staged_, data, size);
    staged_ += size;
  } else {
    flush();
    if (size < kStagingSize) {
      std::memcpy(staging_.get(), data, size);
      staged_ = size;
    } else {
      write_fd(data, size);
    }
  }
  position_ += size;
}

void FileSink::write_at_start(const void *data, size_t size) {
  flush();
  const auto *p = static_cast<const unsigned char *>(data);
  off_t offset = 0;
  while (size > 0) {
    ssize_t n = ::pwrite(fd_, p, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("cannot write the header of", errno);
    }
    if (n == 0) fail_errno("cannot write the header of", EIO);
    p += n;
    offset += n;
    size -= static_cast<size_t>(n);
  }
}

void FileSink::commit() {
  flush();
  if (sync_ && ::fsync(fd_) != 0) fail_errno("cannot fsync", errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail_errno("cannot close", errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    fail_errno("cannot rename over the target", errno);
  }
  temp_path_.clear();  // it is the target now
  if (sync_) {
    // Makes the rename itself durable.
    const std::string dir = directory_of(path_);
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) io_error(path_, "cannot open directory \"" + dir + "\" to fsync", errno);
    int rc = ::fsync(dir_fd);
    int error = errno;
    ::close(dir_fd);
    if (rc != 0) io_error(path_, "cannot fsync directory \"" + dir + "\"", error);
  }
}

// ---- MemorySink -----------------------------------------------------------------------------

void MemorySink::write(const void *data, size_t size) {
  if (position_ < capacity_) {
    size_t room = capacity_ - static_cast<size_t>(position_);
    std::memcpy(buffer_ + position_, data, size < room ? size : room);
  }
  position_ += size;
}

void MemorySink::write_at_start(const void *data, size_t size) {
  if (size <= capacity_) std::memcpy(buffer_, data, size);
}

// ---- Sources --------------------------------------------------------------------------------

FileSource::FileSource(const std::string &path) {
  label_ = path;
  fd_ = open_regular(path, size_);
}

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

void FileSource::read(uint64_t offset, void *dst, size_t size) const {
  auto *p = static_cast<unsigned char *>(dst);
  while (size > 0) {
    ssize_t n = ::pread(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error(label_, "cannot read at offset " + std::to_string(offset), errno);
    }
    if (n == 0) {
      fail(NNSTATE_ERR_IO, describe_file(label_) + ": the file shrank while being read (offset " +
                               std::to_string(offset) + ")");
    }
    p += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
}

MappedSource::MappedSource(const std::string &path, bool populate) : populate_(populate) {
  label_ = path;
  fd_ = open_regular(path, size_);
  if (size_ > 0) {
    mapping_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (mapping_ == MAP_FAILED) {
      int error = errno;
      mapping_ = nullptr;
      ::close(fd_);
      io_error(path, "cannot map", error);
    }
    bytes_ = static_cast<const unsigned char *>(mapping_);
  } else {
    static const unsigned char empty[1] = {0};
    bytes_ = empty;
  }
}

MappedSource::~MappedSource() {
  if (mapping_) ::munmap(mapping_, size_);
  if (fd_ >= 0) ::close(fd_);
}

void MappedSource::read(uint64_t offset, void *dst, size_t size) const {
  std::memcpy(dst, bytes_ + offset, size);
}

void MappedSource::will_read(uint64_t offset, uint64_t size) const {
  if (!populate_ || !mapping_ || size == 0 || offset >= size_) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t start = offset / page * page;
  const uint64_t end = std::min<uint64_t>(size_, offset + std::min(size, size_ - offset));
  void *at = static_cast<unsigned char *>(mapping_) + start;
  // Page tables filled in one call (Linux 5.14); older kernels at least read ahead. A failure
  // only costs speed: the pages still fault in when touched.
#ifdef MADV_POPULATE_READ
  if (::madvise(at, end - start, MADV_POPULATE_READ) == 0) return;
#endif
  ::madvise(at, end - start, MADV_WILLNEED);
}

void MemorySource::Free::operator()(unsigned char *p) const {
  aligned_free(p, kAlignment);
}

MemorySource::MemorySource(const void *data, size_t size, bool copy, const std::string &label) {
  label_ = label;
  size_ = size;
  if (copy) {
    // Checked first: rounding SIZE_MAX up to the alignment would wrap to a tiny block.
    owned_.reset(
        static_cast<unsigned char *>(aligned_allocate(size, kAlignment, "the checkpoint buffer")));
    if (size > 0) std::memcpy(owned_.get(), data, size);
    bytes_ = owned_.get();
  } else {
    bytes_ = static_cast<const unsigned char *>(data);
  }
}

void MemorySource::read(uint64_t offset, void *dst, size_t size) const {
  std::memcpy(dst, bytes_ + offset, size);
}

}  // namespace nnstate::checkpoint
