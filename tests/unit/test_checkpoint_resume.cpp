// The one resume path (resume_trainer): the file is validated once -- header and manifest read
// once, every tensor CRC-checked once -- and then only copied; a damaged file leaves the trainer
// untouched; nnstate_trainer_resume's path and resume_latest's give the same trainer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "checkpoint/container.h"
#include "checkpoint/fields.h"
#include "checkpoint/policy.h"
#include "checkpoint_craft.h"
#include "test_checkpoint_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::checkpoint;
using ckpt_craft::TrainedTrainer;
using ckpt_test::status_of;

namespace {

// Bytes in memory, used in place like a mapping, that counts every read and announced range.
class CountingSource final : public Source {
 public:
  explicit CountingSource(const std::vector<unsigned char> &bytes) {
    label_ = "<counted>";
    size_ = bytes.size();
    bytes_ = bytes.data();
  }
  void read(uint64_t offset, void *dst, size_t size) const override {
    std::memcpy(dst, bytes_ + offset, size);
    ++reads[{offset, size}];
  }
  void will_read(uint64_t offset, uint64_t size) const override { ++announced[{offset, size}]; }
  mutable std::map<std::pair<uint64_t, uint64_t>, int> reads, announced;
};

// Everything a resume restores, as text: every stored value but wall-clock times, and the
// data section (network, optimizer state, best weights) byte for byte.
std::vector<std::string> fingerprint(TrainedTrainer &t) {
  const std::vector<unsigned char> bytes = t.save();
  MemorySource source(bytes.data(), bytes.size(), false, "<fingerprint>");
  const Contents c = read_contents(source);
  std::vector<std::string> out;
  for (const Field &f : describe_fields(c)) {
    if (!f.wall_clock) out.push_back(f.name + " = " + f.value);
  }
  const auto data = bytes.begin() + static_cast<std::ptrdiff_t>(kHeaderSize);
  out.emplace_back(data, data + static_cast<std::ptrdiff_t>(c.data_length));
  return out;
}

// The tensor stored last in the data section: a loader that copied while checking would have
// overwritten every other tensor before reaching it.
const TensorEntry &last_tensor(const Contents &c) {
  return *std::max_element(
      c.tensors.begin(), c.tensors.end(),
      [](const TensorEntry &a, const TensorEntry &b) { return a.offset < b.offset; });
}

}  // namespace

TEST_CASE("resume: header and manifest are read once, the data section is announced once") {
  TrainedTrainer saved(12);
  const auto bytes = saved.save();
  const Header h = decode_header(bytes.data(), bytes.size(), "<valid>");
  CountingSource source(bytes);
  TrainedTrainer target(0);
  resume_trainer(*target.trainer, source);
  CHECK(fingerprint(target) == fingerprint(saved));

  using Range = std::pair<uint64_t, uint64_t>;
  const Range header{0, kHeaderSize}, manifest{h.manifest_offset, h.manifest_length};
  CHECK(source.reads == std::map<Range, int>{{header, 1}, {manifest, 1}});
  // The check pass announces the tensors it is about to read; the copy pass reads what the
  // check pass has just brought in, so it announces nothing (and checks nothing: below).
  MemorySource again(bytes.data(), bytes.size(), false, "<again>");
  const Contents c = read_contents(again);
  const TensorEntry &last = last_tensor(c);
  uint64_t first = c.data_length;
  for (const TensorEntry &e : c.tensors) first = std::min(first, e.offset);
  const Range data{kHeaderSize + first, last.offset + last.byte_length - first};
  CHECK(source.announced == std::map<Range, int>{{manifest, 1}, {data, 1}});
}

TEST_CASE("resume: each tensor is CRC-checked once, by the validation, and then only copied") {
  TrainedTrainer saved(12);
  auto bytes = saved.save();
  MemorySource valid(bytes.data(), bytes.size(), false, "<valid>");
  const Contents c = read_contents(valid);
  const TensorEntry &last = last_tensor(c);
  bytes[kHeaderSize + last.offset + 1] ^= 0x10;
  MemorySource flipped(bytes.data(), bytes.size(), false, "<flipped>");

  TrainedTrainer target(0);
  std::string message;
  CHECK(status_of([&] { resume_trainer(*target.trainer, flipped); }, &message) ==
        NNSTATE_ERR_CORRUPT);
  CHECK(message.find("\"" + last.name + "\"") != std::string::npos);
  CHECK(message.find("CRC32C mismatch") != std::string::npos);

  // Handed the same bytes as verified, restore_trainer copies them as they are: it does not
  // check a second time what the validation checked.
  restore_trainer(*target.trainer, ValidatedCheckpoint{flipped, read_contents(flipped), true});
  // Not verified, it checks each tensor as it reads it.
  TrainedTrainer other(0);
  CHECK(status_of([&] {
          restore_trainer(*other.trainer,
                          ValidatedCheckpoint{flipped, read_contents(flipped), false});
        }) == NNSTATE_ERR_CORRUPT);
}

TEST_CASE("resume: a damaged file leaves the trainer untouched, on every resume path") {
  TrainedTrainer saved(20);
  const auto valid = saved.save();
  MemorySource source(valid.data(), valid.size(), false, "<valid>");
  const Contents c = read_contents(source);
  const TensorEntry &last = last_tensor(c);
  auto tensor_bit = valid;
  tensor_bit[kHeaderSize + last.offset + last.byte_length - 1] ^= 0x01;
  // The padding byte after the tensor stored last among those that are followed by padding.
  uint64_t padding_at = 0;
  for (const TensorEntry &e : c.tensors) {
    if ((e.offset + e.byte_length) % 64 != 0)
      padding_at = std::max(padding_at, e.offset + e.byte_length);
  }
  REQUIRE(padding_at > 0);
  auto padding = valid;
  padding[kHeaderSize + padding_at] = 7;

  ckpt_test::TempDir dir;
  for (const auto *damaged : {&tensor_bit, &padding}) {
    TrainedTrainer target(12);
    const auto before = fingerprint(target);
    MemorySource memory(damaged->data(), damaged->size(), false, "<damaged>");
    CHECK(status_of([&] { resume_trainer(*target.trainer, memory); }) == NNSTATE_ERR_CORRUPT);
    CHECK(fingerprint(target) == before);

    const std::string path = dir.file("ckpt-e000002-s000000000020.nnst");
    ckpt_test::write_file(path, *damaged);
    CHECK(status_of([&] { resume_trainer(*target.trainer, path); }) == NNSTATE_ERR_CORRUPT);
    CHECK(fingerprint(target) == before);

    // The only checkpoint is skipped: none found, and the trainer is as it was.
    const ResumeResult result = resume_latest(*target.trainer, dir.path);
    CHECK(!result.found);
    REQUIRE(result.warnings.size() == 1);
    CHECK(result.warnings[0].find("skipped \"" + path + "\"") != std::string::npos);
    CHECK(fingerprint(target) == before);
  }
}

TEST_CASE("resume: from a file and from a directory's newest valid file, the same trainer") {
  TrainedTrainer saved(20), older(12);
  ckpt_test::TempDir dir;
  const std::string path = dir.file("ckpt-e000002-s000000000020.nnst");
  ckpt_test::write_file(dir.file("ckpt-e000001-s000000000012.nnst"), older.save());
  ckpt_test::write_file(path, saved.save());

  TrainedTrainer from_file(0), from_directory(0), from_memory(0);
  CHECK(resume_trainer(*from_file.trainer, path).empty());
  const ResumeResult result = resume_latest(*from_directory.trainer, dir.path);
  CHECK(result.found);
  CHECK(result.path == path);
  CHECK(result.warnings.empty());
  const auto bytes = saved.save();
  MemorySource memory(bytes.data(), bytes.size(), false, "<memory>");
  resume_trainer(*from_memory.trainer, memory);
  const auto expected = fingerprint(saved);
  CHECK(fingerprint(from_file) == expected);
  CHECK(fingerprint(from_directory) == expected);
  CHECK(fingerprint(from_memory) == expected);

  // With the newest file damaged, resume_latest falls back to the older one.
  auto damaged = bytes;
  damaged[kHeaderSize + 3] ^= 0x20;
  ckpt_test::write_file(path, damaged);
  TrainedTrainer fallback(0);
  const ResumeResult second = resume_latest(*fallback.trainer, dir.path);
  CHECK(second.found);
  CHECK(second.path == dir.file("ckpt-e000001-s000000000012.nnst"));
  CHECK(fingerprint(fallback) == fingerprint(older));
}
