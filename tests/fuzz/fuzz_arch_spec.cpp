// The --arch mini-language (tools/nnstate/arch_spec.h): every accepted spec respects the width
// and parameter limits, and is then built as a real network by the program's build_network.
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "arch_spec.h"
#include "args.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;  // specs are short; long ones only repeat items
  try {
    const nnstate_cli::ArchSpec spec =
        nnstate_cli::parse_arch_spec(std::string(reinterpret_cast<const char *>(data), size));
    if (spec.parameters > nnstate_cli::kMaxParameters) std::abort();
    for (const nnstate_cli::LayerSpec &layer : spec.layers) {
      if (layer.kind == nnstate_cli::LayerSpec::Kind::linear &&
          (layer.in > nnstate_cli::kMaxWidth || layer.out > nnstate_cli::kMaxWidth)) {
        std::abort();
      }
    }
    nnstate_cli::describe(spec);
    // Up to 2^31 parameters is 8 GiB of weights plus gradients: build only small networks.
    if (spec.parameters <= (uint64_t{1} << 20)) nnstate_cli::build_network(spec, 1);
  } catch (const nnstate_cli::UsageError &) {  // a refused spec
  } catch (const std::runtime_error &) {       // a library failure while building
  }
  return 0;
}
