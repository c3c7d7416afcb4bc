#include "checkpoint/data.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <system_error>
#include <thread>

#include "checkpoint/container.h"
#include "checkpoint/crc32c.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

// Small enough that a chunk just read is still in L2 when it is CRC'd; large enough that the
// syscalls cost nothing.
constexpr size_t kChunk = size_t{256} << 10;

// From this many bytes of tensors on, a second thread reads half of the pieces: copying into
// fresh memory costs the kernel's zeroing of each new page besides the copy, and two cores
// split both.
constexpr uint64_t kParallelBytes = uint64_t{16} << 20;
// What one thread takes at a time: large enough that the CRCs joined per piece cost nothing,
// small enough that the two threads end together.
constexpr uint64_t kPiece = uint64_t{4} << 20;

// Reads [from, from + size) of the target's tensor into its destination (into `scratch`, of
// kChunk bytes, when it has none; in place: only checked there), chunk by chunk, and returns
// its CRC32C when `verify`.
uint32_t read_part(const Source &source, const ReadTarget &target, uint64_t from, uint64_t size,
                   bool verify, unsigned char *scratch) {
  const uint64_t base = kHeaderSize + target.entry->offset;
  auto *dst = static_cast<unsigned char *>(target.destination);
  uint32_t crc = 0;
  for (uint64_t done = from; done < from + size;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, from + size - done));
    const unsigned char *chunk;
    if (target.in_place) {
      chunk = dst + done;
    } else if (source.bytes()) {
      chunk = source.bytes() + base + done;
      if (dst) std::memcpy(dst + done, chunk, n);
    } else {
      unsigned char *into = dst ? dst + done : scratch;
      source.read(base + done, into, n);
      chunk = into;
    }
    if (verify) crc = crc32c(crc, chunk, n);
    done += n;
  }
  return crc;
}

struct Piece {
  ReadTarget target;
  uint64_t from, size;  // inside the tensor
  uint32_t crc;         // of these bytes alone, once read (when verified)
};

// Reads every piece on this thread and a helper, each taking the next piece not taken; the
// first error of either is rethrown once both stopped.
void read_pieces(const Source &source, std::vector<Piece> &pieces, bool verify) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr errors[2];
  auto work = [&](int who) {
    std::unique_ptr<unsigned char[]> scratch;
    try {
      while (!failed.load(std::memory_order_relaxed)) {
        const size_t i = next.fetch_add(1, std::memory_order_relaxed);
        if (i >= pieces.size()) break;
        Piece &p = pieces[i];
        if (!p.target.destination && !scratch) scratch.reset(new unsigned char[kChunk]);
        p.crc = read_part(source, p.target, p.from, p.size, verify, scratch.get());
      }
    } catch (...) {
      errors[who] = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  };
  std::thread helper;
  try {
    helper = std::thread(work, 1);
  } catch (const std::system_error &) {
    // No helper: this thread reads every piece.
  }
  work(0);
  if (helper.joinable()) helper.join();
  for (const std::exception_ptr &e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

class Walker {
 public:
  Walker(const Source &source, const Contents &contents, bool verify)
      : source_(source), contents_(contents), verify_(verify) {}

  void tensor(const ReadTarget &target) {
    const TensorEntry &e = *target.entry;
    const uint32_t crc = read_part(source_, target, 0, e.byte_length, verify_,
                                   target.destination ? nullptr : scratch());
    if (verify_ && crc != e.crc32c) fail_tensor_crc(contents_, e, crc);
  }

  // Checks the CRC of a tensor read by read_pieces from the CRCs of its pieces.
  void check_pieces(const TensorEntry &e, const Piece *pieces, size_t count) {
    uint32_t crc = 0;
    for (size_t i = 0; i < count; ++i) crc = crc32c_combine(crc, pieces[i].crc, pieces[i].size);
    if (crc != e.crc32c) fail_tensor_crc(contents_, e, crc);
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
  const bool verify = check == DataCheck::crc_and_padding;
  Walker walker(source, contents, verify);
  const bool padding = check != DataCheck::none;
  uint64_t target_bytes = 0;
  for (const ReadTarget &t : targets) target_bytes += t.entry->byte_length;
  // Large: every target's pieces first, on two threads; then the checks, in file order as below.
  std::vector<Piece> pieces;
  std::vector<size_t> first_piece(all.size() + 1, 0);
  const bool parallel = target_bytes >= kParallelBytes && std::thread::hardware_concurrency() > 1;
  if (parallel) {
    for (size_t i : order) {
      first_piece[i] = pieces.size();
      if (destination[i] == skip) continue;
      const ReadTarget target{&all[i], destination[i], in_place[i]};
      for (uint64_t from = 0; from < all[i].byte_length; from += kPiece) {
        pieces.push_back({target, from, std::min(kPiece, all[i].byte_length - from), 0});
      }
    }
    read_pieces(source, pieces, verify);
  }
  uint64_t cursor = 0;  // data-section offset up to which bytes are accounted for
  for (size_t n = 0; n < order.size(); ++n) {
    const size_t i = order[n];
    const TensorEntry &e = all[i];
    if (padding && cursor < e.offset) walker.zeros(cursor, e.offset);
    if (destination[i] != skip) {
      if (!parallel) {
        walker.tensor({&e, destination[i], in_place[i]});
      } else if (verify) {
        const size_t end = n + 1 < order.size() ? first_piece[order[n + 1]] : pieces.size();
        walker.check_pieces(e, pieces.data() + first_piece[i], end - first_piece[i]);
      }
    }
    // Zero-length tensors may share an offset with another tensor: never move backwards.
    cursor = std::max(cursor, e.offset + e.byte_length);
  }
  if (padding && cursor < contents.data_length) walker.zeros(cursor, contents.data_length);
}

}  // namespace nnstate::checkpoint
