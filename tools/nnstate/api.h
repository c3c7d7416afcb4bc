// Small C++ conveniences over the public C API (nnstate.h only): owning handles and one way
// to turn a failed call into an Error carrying the library's message.
#pragma once

#include <nnstate/nnstate.h>

#include <memory>
#include <string>

#include "arch_spec.h"
#include "error.h"

namespace nnstate_cli {

template <typename T, void (*Free)(T *)>
struct HandleDeleter {
  void operator()(T *p) const { Free(p); }
};
using NetworkPtr =
    std::unique_ptr<nnstate_network, HandleDeleter<nnstate_network, nnstate_network_free>>;
using DatasetPtr =
    std::unique_ptr<nnstate_dataset, HandleDeleter<nnstate_dataset, nnstate_dataset_free>>;
using TrainerPtr =
    std::unique_ptr<nnstate_trainer, HandleDeleter<nnstate_trainer, nnstate_trainer_free>>;
using CheckpointPtr =
    std::unique_ptr<nnstate_checkpoint, HandleDeleter<nnstate_checkpoint, nnstate_checkpoint_free>>;

// Throws Error(code, "<context>: <library message>") unless status is NNSTATE_OK. Calls that
// reject option values use kExitUsage, the rest kExitFailure.
void check(nnstate_status status, const std::string &context, int code = kExitFailure);

// Builds the layers of `spec` into a new network seeded with `seed`.
NetworkPtr build_network(const ArchSpec &spec, uint64_t seed);

// Loss names on the command line and in checkpoint metadata.
int32_t loss_from_name(const std::string &name);  // 0 when unknown
const char *loss_name(int32_t loss);

size_t network_input_size(const nnstate_network *network);
size_t network_output_size(const nnstate_network *network);

}  // namespace nnstate_cli
