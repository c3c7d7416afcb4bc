// Checkpoint files through the C++ wrapper, plus the metadata keys the command-line program
// writes into them so that evaluate/predict/resume know what the network was trained for.
#pragma once

#include <nnstate/nnstate.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace nnstate_cli {

// Metadata keys written by `nnstate train`.
constexpr const char *kMetaArch = "cli.arch";                // "784-256-relu-10"
constexpr const char *kMetaLoss = "cli.loss";                // "cross_entropy"
constexpr const char *kMetaEpochs = "cli.epochs_completed";  // "3"
constexpr const char *kMetaPosition = "cli.position";        // "epoch 3 batch 120 of 1875"
constexpr const char *kMetaHistory = "cli.history";          // CSV, one row per epoch
constexpr const char *kMetaCommand = "cli.command";          // the argv that trained it

// Rebuilds the network stored in `path`; `what` is NNSTATE_LOAD_FULL or _WEIGHTS_ONLY.
nnstate::Network load_network(const std::string &path, int32_t what);
// The user metadata of `path` (the file is validated first).
std::map<std::string, std::string> checkpoint_metadata(const std::string &path);

bool file_exists(const std::string &path);
// Creates `dir` and missing parents (mkdir -p).
void make_directories(const std::string &dir);

}  // namespace nnstate_cli
