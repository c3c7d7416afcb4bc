// gunzip (tools/nnstate/gzip.h) on arbitrary bytes, with an output limit: malformed input must
// end in std::runtime_error, never a crash, and the output never exceeds the limit.
#include <cstdlib>
#include <stdexcept>

#include "fuzz_target.h"
#include "gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  constexpr size_t kLimit = size_t{16} << 20;
  try {
    const nnstate_cli::Bytes out = nnstate_cli::gunzip(data, size, kLimit);
    if (out.size() > kLimit) std::abort();
  } catch (const std::runtime_error &) {
  }
  return 0;
}
