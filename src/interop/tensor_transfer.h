// Loading named tensors from a file into a network by name, as torch.nn.Module.load_state_dict
// does: strictly (every missing, unexpected or mis-shaped tensor reported at once, nothing
// changed) or not (what matches is loaded, the rest listed), optionally renaming the file's
// names by prefix ("backbone." -> "features.") and skipping those matching glob patterns, which
// is how a backbone moves into a network with another head. The files are the providers below:
// safetensors (any float dtype) or our checkpoints (their parameters and buffers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/io.h"
#include "layers/graph.h"

namespace nnstate::interop {

struct ProvidedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::string unreadable;  // why it cannot be read as float32 ("" when it can)
};

// A file's named tensors: their names and shapes, then reads of a selection.
class TensorProvider {
 public:
  virtual ~TensorProvider() = default;
  // "safetensors file \"x.safetensors\"": the prefix of messages.
  virtual std::string label() const = 0;
  virtual const std::vector<ProvidedTensor> &tensors() const = 0;
  // Reads tensors()[index] as float32 into each destination (product of its dims floats).
  virtual void read(const std::vector<std::pair<size_t, float *>> &targets) const = 0;
};

// Open and validate `source` (which must outlive the provider): as safetensors; as our
// checkpoint (by its magic) or else as safetensors. Throw Error (CORRUPT, IO, VERSION).
std::unique_ptr<TensorProvider> open_safetensors(const checkpoint::Source &source);
std::unique_ptr<TensorProvider> open_tensor_file(const checkpoint::Source &source);

struct TransferOptions {
  bool strict = true;
  // (from, to): a file name starting with `from` is renamed by replacing that prefix; the first
  // matching pair applies.
  std::vector<std::pair<std::string, std::string>> renames;
  // fnmatch(3) patterns ('*' crosses dots) matched against the file's names before renaming.
  std::vector<std::string> skip;
};

// What a transfer did; every list in the order of the network's or the file's tensors.
struct TransferReport {
  std::vector<std::string> loaded;      // network names loaded
  std::vector<std::string> skipped;     // file names matched by a skip pattern
  std::vector<std::string> missing;     // network names the file does not provide
  std::vector<std::string> unexpected;  // file names (after renaming) the network lacks
  std::vector<std::string> mismatched;  // network names whose file tensor has another shape
                                        // (or a dtype that is not a float)
  std::vector<std::string> problems;    // one line per missing, unexpected or mismatched
};

// Strict: throws SHAPE_MISMATCH (any mismatch) or NOT_FOUND (names only) listing every problem
// before anything is written. Otherwise loads what matches and returns the report.
TransferReport transfer_tensors(Graph &network, const TensorProvider &provider,
                                const TransferOptions &options);

}  // namespace nnstate::interop
