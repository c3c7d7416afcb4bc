// safetensors files (interop/safetensors.h) as untrusted bytes: the input is a whole file. A
// refusal must be a clean CORRUPT with a message; an accepted header's tensors must tile its
// data area exactly, every float tensor must convert, and a non-strict load by name into a
// fixed network (the names a small PyTorch MLP with BatchNorm has) must succeed. Allocations
// are bounded by the input: an accepted tensor's bytes are inside it.
#include <cstdlib>
#include <string>
#include <vector>

#include "checkpoint/io.h"
#include "fuzz_target.h"
#include "interop/safetensors.h"
#include "interop/tensor_transfer.h"
#include "train/model.h"
#include "train/network_json.h"
#include "util/error.h"

namespace {

constexpr const char *kNetwork =
    R"({"input_shape": [4], "nodes": [{"kind": "Linear", "in_features": 4, "out_features": 3},
    {"kind": "BatchNorm1d", "num_features": 3}, {"kind": "ReLU"},
    {"kind": "Linear", "in_features": 3, "out_features": 2}]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace nnstate;
  const checkpoint::MemorySource source(data, size, false, "fuzz.safetensors");
  interop::SafetensorsHeader header;
  try {
    header = interop::read_safetensors_header(source);
  } catch (const Error &e) {
    if (e.status() != NNSTATE_ERR_CORRUPT || std::string(e.what()).empty()) std::abort();
    return 0;
  }
  uint64_t end = 0;
  for (const interop::SafetensorsEntry &e : header.tensors) {
    if (e.begin != end || e.end < e.begin) std::abort();
    end = e.end;
    if (!e.readable()) continue;
    std::vector<float> values(static_cast<size_t>((e.end - e.begin) / e.element_size));
    interop::read_safetensors_tensor(source, header, e, values.data());
  }
  if (end != header.data_length || header.data_start + header.data_length != size) std::abort();

  Model model(1);
  add_network_document(model, parse_network_document(kNetwork));
  interop::TransferOptions loose;
  loose.strict = false;
  const interop::TransferReport r =
      interop::transfer_tensors(model.network(), *interop::open_safetensors(source), loose);
  if (r.loaded.size() + r.missing.size() + r.mismatched.size() != 9) std::abort();
  return 0;
}
