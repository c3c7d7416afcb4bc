// Checkpoints large enough for the fast paths of save and load: CRCs computed on a second thread
// while the data is written, writeback started early with fsync, tensors of a few MiB. The files
// must be byte for byte those of the small-file paths, and load back bit for bit.
#include <doctest/doctest.h>

#include <algorithm>

#include "checkpoint/container.h"
#include "test_checkpoint_util.h"

using namespace nnstate;
using namespace nnstate::checkpoint;
using namespace ckpt_test;

namespace {

// Linear(1200, 1200) + Adam: three tensors of 5.5 MiB, 16.5 MiB of data, past every threshold.
std::unique_ptr<Model> large_model() {
  auto model = std::make_unique<Model>(7);
  LayerConfig linear(LayerKind::linear);
  linear.as<LinearConfig>().in_features = linear.as<LinearConfig>().out_features = 1200;
  model->add_layer(linear);
  model->set_loss(LossKind::mse);
  model->set_optimizer(default_optimizer_config(OptimizerKind::adam));
  std::vector<float> x(2 * 1200), y(2 * 1200);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(i % 13) / 13.0f;
    y[i] = static_cast<float>(i % 7) / 7.0f;
  }
  model->train_step(x.data(), static_cast<int64_t>(x.size()), y.data(),
                    static_cast<int64_t>(y.size()), 2);
  return model;
}

}  // namespace

TEST_CASE("large checkpoint: file (with fsync) and buffer saves are identical and verify") {
  auto model = large_model();
  SaveOptions options;
  options.created_unix_ns = 1;
  options.sync = true;
  TempDir dir;
  const std::string path = dir.file("large.nnst");
  save(*model, path, options);
  const std::vector<unsigned char> file = read_file(path);
  const std::vector<unsigned char> buffer = to_bytes(*model, options);
  REQUIRE(file.size() > (size_t{16} << 20));
  CHECK(file == buffer);

  FileSource source(path);
  const Contents c = read_contents(source);
  CHECK(status_of([&] { verify_data(source, c); }) == NNSTATE_OK);
  auto rebuilt = load(source, LoadOptions{});
  CHECK(capture(*rebuilt) == capture(*model));
}

TEST_CASE(
    "large checkpoint: a flipped bit in the last piece is refused though a second thread read "
    "it, and a cut file is refused") {
  auto model = large_model();
  SaveOptions options;
  options.created_unix_ns = 1;
  options.sync = false;
  TempDir dir;
  const std::string path = dir.file("large.nnst");
  save(*model, path, options);
  std::vector<unsigned char> bytes = read_file(path);
  const FileSource source(path);
  const Contents c = read_contents(source);
  // The last byte of the last tensor: its CRC is joined from pieces read on both threads.
  uint64_t end = 0;
  for (const TensorEntry &e : c.tensors) end = std::max(end, e.offset + e.byte_length);
  bytes[static_cast<size_t>(kHeaderSize + end - 1)] ^= 0x10;
  const std::string flipped = dir.file("flipped.nnst");
  write_file(flipped, bytes);
  std::string message;
  CHECK(status_of([&] { load(FileSource(flipped), LoadOptions{}); }, &message) ==
        NNSTATE_ERR_CORRUPT);
  CHECK(message.find("CRC32C mismatch") != std::string::npos);

  // Without CRCs the bytes are taken as they are, and still land where they belong.
  LoadOptions unchecked;
  unchecked.verify_crc = false;
  auto loaded = load(FileSource(flipped), unchecked);
  CHECK(!(capture(*loaded) == capture(*model)));

  // A byte in the second piece of the largest tensor, which the helper may have read.
  const TensorEntry *largest = &c.tensors[0];
  for (const TensorEntry &e : c.tensors) {
    if (e.byte_length > largest->byte_length) largest = &e;
  }
  REQUIRE(largest->byte_length > (uint64_t{4} << 20));
  std::vector<unsigned char> middle = read_file(path);
  middle[static_cast<size_t>(kHeaderSize + largest->offset + (uint64_t{4} << 20) + 3)] ^= 1;
  write_file(flipped, middle);
  CHECK(status_of([&] { load(FileSource(flipped), LoadOptions{}); }, &message) ==
        NNSTATE_ERR_CORRUPT);
  CHECK(message.find("\"" + largest->name + "\"") != std::string::npos);

  bytes.resize(bytes.size() / 2);
  const std::string cut = dir.file("cut.nnst");
  write_file(cut, bytes);
  CHECK(status_of([&] { load(FileSource(cut), LoadOptions{}); }) != NNSTATE_OK);
}
