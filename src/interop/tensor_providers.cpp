// The files a transfer reads from: safetensors (header validated by interop/safetensors.cpp) and
// our checkpoints (validated by the checkpoint reader, tensors read by its data reader, CRCs
// checked), so that neither format has a second parser here.
#include "checkpoint/container.h"
#include "checkpoint/data.h"
#include "checkpoint/reader.h"
#include "interop/safetensors.h"
#include "interop/tensor_transfer.h"

namespace nnstate::interop {
namespace {

class SafetensorsProvider final : public TensorProvider {
 public:
  explicit SafetensorsProvider(const checkpoint::Source &source)
      : source_(source), header_(read_safetensors_header(source)) {
    for (const SafetensorsEntry &e : header_.tensors) {
      tensors_.push_back(
          {e.name, e.shape, e.readable() ? "" : "dtype " + e.dtype + " is not a float type"});
    }
  }
  std::string label() const override { return describe_safetensors(header_.file); }
  const std::vector<ProvidedTensor> &tensors() const override { return tensors_; }
  void read(const std::vector<std::pair<size_t, float *>> &targets) const override {
    for (const auto &t : targets) {
      read_safetensors_tensor(source_, header_, header_.tensors.at(t.first), t.second);
    }
  }

 private:
  const checkpoint::Source &source_;
  SafetensorsHeader header_;
  std::vector<ProvidedTensor> tensors_;
};

// A checkpoint's parameters and buffers (its optimizer state and best weights are not offered).
class CheckpointProvider final : public TensorProvider {
 public:
  explicit CheckpointProvider(const checkpoint::Source &source)
      : source_(source), contents_(checkpoint::read_contents(source)) {
    for (const checkpoint::TensorEntry &e : contents_.tensors) {
      if (e.role != checkpoint::Role::parameter && e.role != checkpoint::Role::buffer) continue;
      entries_.push_back(&e);
      tensors_.push_back(
          {e.name, std::vector<int64_t>(e.shape.dims, e.shape.dims + e.shape.rank), ""});
    }
  }
  std::string label() const override { return checkpoint::describe_file(contents_.file); }
  const std::vector<ProvidedTensor> &tensors() const override { return tensors_; }
  void read(const std::vector<std::pair<size_t, float *>> &targets) const override {
    std::vector<checkpoint::ReadTarget> reads;
    for (const auto &t : targets) reads.push_back({entries_.at(t.first), t.second});
    checkpoint::read_tensors(source_, contents_, std::move(reads),
                             checkpoint::DataCheck::crc_and_padding);
  }

 private:
  const checkpoint::Source &source_;
  checkpoint::Contents contents_;
  std::vector<const checkpoint::TensorEntry *> entries_;  // parallel to tensors_
  std::vector<ProvidedTensor> tensors_;
};

}  // namespace

std::unique_ptr<TensorProvider> open_safetensors(const checkpoint::Source &source) {
  return std::make_unique<SafetensorsProvider>(source);
}

std::unique_ptr<TensorProvider> open_tensor_file(const checkpoint::Source &source) {
  unsigned char magic[8] = {};
  if (source.size() >= 8) source.read(0, magic, 8);
  if (checkpoint::has_checkpoint_magic(magic)) {
    return std::make_unique<CheckpointProvider>(source);
  }
  return std::make_unique<SafetensorsProvider>(source);
}

}  // namespace nnstate::interop
