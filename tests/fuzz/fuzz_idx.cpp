// IDX parsing (tools/nnstate/idx.h) and the conversions the CLI applies to images and labels.
#include <stdexcept>

#include "fuzz_target.h"
#include "idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    const nnstate_cli::IdxArray array = nnstate_cli::parse_idx(data, size);
    nnstate_cli::idx_shape(array);
    nnstate_cli::Floats values;
    size_t samples = 0, features = 0;
    try {
      nnstate_cli::idx_images(array, values, samples, features);
    } catch (const std::runtime_error &) {
    }
    nnstate_cli::idx_labels(array, values);
  } catch (const std::runtime_error &) {
  }
  return 0;
}
