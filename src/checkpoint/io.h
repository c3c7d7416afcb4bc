// Where checkpoint bytes go and come from: a crash-safe file (temporary + fsync + rename), a
// caller's memory buffer, a file read with pread, or a read-only memory mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace nnstate::checkpoint {

// Temporary files of a save start with this; a directory listing recognises the leftovers of
// a killed save by it. Versions up to 0.1.0 named them "<target>.tmp-<pid>-<n>" (too long
// for a target of NAME_MAX bytes); their leftovers of checkpoints (".nnst.tmp-") are
// recognised too.
constexpr const char *kTemporaryPrefix = ".nnst-tmp-";
inline bool is_temporary_name(const std::string &name) {
  return name.rfind(kTemporaryPrefix, 0) == 0 || name.find(".nnst.tmp-") != std::string::npos;
}

class Sink {
 public:
  virtual ~Sink() = default;
  // Appends bytes. Large writes go straight from the caller's memory (no copy).
  virtual void write(const void *data, size_t size) = 0;
  // Overwrites the first `size` bytes (the header, written last).
  virtual void write_at_start(const void *data, size_t size) = 0;
  uint64_t position() const { return position_; }

 protected:
  uint64_t position_ = 0;
};

// Writes to a temporary file in the directory of `path`; commit() fsyncs it, renames it over
// `path` and fsyncs the directory. Destroyed without commit (any failure), it removes the
// temporary and the previous file at `path` is untouched.
class FileSink final : public Sink {
 public:
  FileSink(const std::string &path, bool sync);
  ~FileSink() override;
  FileSink(const FileSink &) = delete;
  FileSink &operator=(const FileSink &) = delete;
  void write(const void *data, size_t size) override;
  void write_at_start(const void *data, size_t size) override;
  void commit();
  const std::string &temp_path() const { return temp_path_; }

 private:
  void flush();
  void write_fd(const void *data, size_t size);
  [[noreturn]] void fail_errno(const std::string &what, int error) const;

  std::string path_, temp_path_;
  bool sync_;
  int fd_ = -1;
  std::unique_ptr<unsigned char[]> staging_;  // coalesces small writes (padding, small tensors)
  size_t staged_ = 0;
  uint64_t written_ = 0;         // bytes handed to the file
  uint64_t writeback_from_ = 0;  // where the writeback not yet started begins (with sync)
};

// Writes into a caller's buffer; bytes past `capacity` are only counted, so a NULL buffer
// measures the size a checkpoint needs.
class MemorySink final : public Sink {
 public:
  MemorySink(void *buffer, size_t capacity)
      : buffer_(static_cast<unsigned char *>(buffer)), capacity_(buffer ? capacity : 0) {}
  void write(const void *data, size_t size) override;
  void write_at_start(const void *data, size_t size) override;
  bool fits() const { return position_ <= capacity_; }

 private:
  unsigned char *buffer_;
  size_t capacity_;
};

class Source {
 public:
  virtual ~Source() = default;
  const std::string &label() const { return label_; }
  uint64_t size() const { return size_; }
  // Reads exactly `size` bytes at `offset` (inside the file); throws Error(IO) on failure.
  // Two threads may read at once (large loads read their pieces on two threads).
  virtual void read(uint64_t offset, void *dst, size_t size) const = 0;
  // The whole file in memory (a buffer or a mapping), or null when it must be read.
  const unsigned char *bytes() const { return bytes_; }
  // A hint that [offset, offset + size) is about to be read whole.
  virtual void will_read(uint64_t offset, uint64_t size) const {
    (void)offset;
    (void)size;
  }

 protected:
  std::string label_;
  uint64_t size_ = 0;
  const unsigned char *bytes_ = nullptr;
};

class FileSource final : public Source {
 public:
  explicit FileSource(const std::string &path);
  ~FileSource() override;
  FileSource(const FileSource &) = delete;
  FileSource &operator=(const FileSource &) = delete;
  void read(uint64_t offset, void *dst, size_t size) const override;

 private:
  int fd_ = -1;
};

// A read-only private mapping: tensor data is used in place. Truncating the file while it is
// mapped makes later accesses fault (SIGBUS), as with any mapping. Nothing is faulted in when
// mapping, so a hostile file costs only the pages its (already validated) parts need.
class MappedSource final : public Source {
 public:
  // `populate`: fault in each range announced by will_read at once, which costs far less than
  // one page fault per 4 KiB later.
  MappedSource(const std::string &path, bool populate);
  ~MappedSource() override;
  MappedSource(const MappedSource &) = delete;
  MappedSource &operator=(const MappedSource &) = delete;
  void read(uint64_t offset, void *dst, size_t size) const override;
  void will_read(uint64_t offset, uint64_t size) const override;
  // The open file, e.g. to map single tensors of it for longer than the source lives.
  int fd() const { return fd_; }

 private:
  void *mapping_ = nullptr;
  bool populate_;
  int fd_ = -1;
};

// Bytes in memory; `copy` makes the source own a 64-byte aligned copy.
class MemorySource final : public Source {
 public:
  MemorySource(const void *data, size_t size, bool copy, const std::string &label);
  void read(uint64_t offset, void *dst, size_t size) const override;

 private:
  struct Free {
    void operator()(unsigned char *p) const;
  };
  std::unique_ptr<unsigned char, Free> owned_;
};

// "No such file or directory (errno 2)"
std::string errno_text(int error);

}  // namespace nnstate::checkpoint
