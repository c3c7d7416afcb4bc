#include "checkpoint/data.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "checkpoint/container.h"
#include "checkpoint/crc32c.h"
#include "checkpoint/prefault.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

// Small enough that a chunk just read is still in L2 when it is CRC'd; large enough that the
// syscalls cost nothing.
constexpr size_t kChunk = size_t{256} << 10;

class Walker {
 public:
  Walker(const Source &source, const Contents &contents, bool verify, Prefaulter &prefaulter)
      : source_(source), contents_(contents), verify_(verify), prefaulter_(prefaulter) {}

  void tensor(const ReadTarget &target) {
    const TensorEntry &e = *target.entry;
    const uint64_t base = kHeaderSize + e.offset;
    auto *dst = static_cast<unsigned char *>(target.destination);
    uint32_t crc = 0;
    for (uint64_t done = 0; done < e.byte_length;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, e.byte_length - done));
      const unsigned char *chunk;
      if (target.in_place) {
        chunk = dst + done;
      } else if (source_.bytes()) {
        chunk = source_.bytes() + base + done;
        if (dst) std::memcpy(dst + done, chunk, n);
      } else {
        unsigned char *into = dst ? dst + done : scratch();
        source_.read(base + done, into, n);
        chunk = into;
      }
      if (verify_) crc = crc32c(crc, chunk, n);
      done += n;
      if (dst && !target.in_place) prefaulter_.filled(filled_ + done);
    }
    if (dst && !target.in_place) filled_ += e.byte_length;
    if (verify_ && crc != e.crc32c) fail_tensor_crc(contents_, e, crc);
  }

  // Every byte in [from, to) of the data section must be zero.
  void zeros(uint64_t from, uint64_t to) {
    while (from < to) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, to - from));
      const unsigned char *chunk;
      if (source_.bytes()) {
        chunk = source_.bytes() + kHeaderSize + from;
      } else {
        source_.read(kHeaderSize + from, scratch(), n);
        chunk = scratch();
      }
      for (size_t i = 0; i < n; ++i) {
        if (chunk[i] != 0) {
          fail(NNSTATE_ERR_CORRUPT,
               describe_file(contents_.file) + ": data section: padding byte at data offset " +
                   std::to_string(from + i) + " is " + std::to_string(chunk[i]) + ", not zero");
        }
      }
      from += n;
    }
  }

 private:
  unsigned char *scratch() {
    if (!scratch_) scratch_.reset(new unsigned char[kChunk]);
    return scratch_.get();
  }

  const Source &source_;
  const Contents &contents_;
  bool verify_;
  Prefaulter &prefaulter_;
  size_t filled_ = 0;  // bytes of the destinations before this tensor's, in file order
  std::unique_ptr<unsigned char[]> scratch_;
};

}  // namespace

void fail_tensor_crc(const Contents &contents, const TensorEntry &e, uint32_t computed) {
  fail(NNSTATE_ERR_CORRUPT, describe_file(contents.file) + ": tensor \"" + e.name + "\" (" +
                                std::to_string(e.byte_length) + " bytes at data offset " +
                                std::to_string(e.offset) + "): CRC32C mismatch (stored " +
                                crc_text(e.crc32c) + ", computed " + crc_text(computed) + ")");
}

void check_tensor_crc(const Contents &contents, const TensorEntry &e, const unsigned char *bytes) {
  const uint32_t crc = crc32c(0, bytes, static_cast<size_t>(e.byte_length));
  if (crc != e.crc32c) fail_tensor_crc(contents, e, crc);
}

void read_tensors(const Source &source, const Contents &contents, std::vector<ReadTarget> targets,
                  DataCheck check) {
  const std::vector<TensorEntry> &all = contents.tensors;
  // Destination of each tensor by index; `skip` marks those that are not targets.
  static unsigned char skip_marker;
  void *const skip = &skip_marker;
  std::vector<void *> destination(all.size(), skip);
  std::vector<bool> in_place(all.size(), false);
  uint64_t first = contents.data_length, last = 0;
  for (const ReadTarget &t : targets) {
    destination[static_cast<size_t>(t.entry - all.data())] = t.destination;
    in_place[static_cast<size_t>(t.entry - all.data())] = t.in_place;
    first = std::min(first, t.entry->offset);
    last = std::max(last, t.entry->offset + t.entry->byte_length);
  }
  // A verified data section was read just before: announcing it again would only cost time.
  if (first < last && check != DataCheck::none) {
    source.will_read(kHeaderSize + first, last - first);
  }

  // File order: one sequential pass over tensors and the bytes between them.
  std::vector<size_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return all[a].offset < all[b].offset; });
  // The destinations in the order they are filled, faulted in ahead by a helper thread.
  std::vector<Prefaulter::Range> fresh;
  for (size_t i : order) {
    if (destination[i] != skip && destination[i] && !in_place[i] && all[i].byte_length > 0) {
      fresh.push_back(
          {static_cast<unsigned char *>(destination[i]), static_cast<size_t>(all[i].byte_length)});
    }
  }
  Prefaulter prefaulter(std::move(fresh));
  Walker walker(source, contents, check == DataCheck::crc_and_padding, prefaulter);
  const bool padding = check != DataCheck::none;
  uint64_t cursor = 0;  // data-section offset up to which bytes are accounted for
  for (size_t i : order) {
    const TensorEntry &e = all[i];
    if (padding && cursor < e.offset) walker.zeros(cursor, e.offset);
    if (destination[i] != skip) walker.tensor({&e, destination[i], in_place[i]});
    // Zero-length tensors may share an offset with another tensor: never move backwards.
    cursor = std::max(cursor, e.offset + e.byte_length);
  }
  if (padding && cursor < contents.data_length) walker.zeros(cursor, contents.data_length);
}

}  // namespace nnstate::checkpoint
