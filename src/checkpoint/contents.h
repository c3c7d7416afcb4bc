// A validated checkpoint manifest as plain C++ values: what the reader hands to the loaders,
// the verifier and the C API, so that nothing outside src/checkpoint/*.cpp sees FlatBuffers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "callbacks/early_stopping.h"
#include "layers/graph.h"
#include "layers/layer_config.h"
#include "optim/optimizer.h"
#include "random/rng.h"
#include "schedule/lr_scheduler.h"
#include "tensor/shape.h"
#include "train/trainer.h"

namespace nnstate::checkpoint {

// Where a tensor belongs; the values equal the schema's TensorRole and NNSTATE_ROLE_*.
enum class Role : int32_t {
  parameter = 0,
  buffer = 1,
  optimizer = 2,
  best_weight = 3,
  grad_accumulation = 4,  // 1.2: "trainer.grad_accumulation.<param>", owner the parameter
  rollback_snapshot = 5,  // 1.2: "rollback.<owner>", owner a network or optimizer state tensor
};

struct TensorEntry {
  std::string name;  // unique across the file: "0.weight", "optimizer.0.weight.exp_avg",
                     // "early_stopping.best.0.weight"
  Role role = Role::parameter;
  std::string owner;  // optimizer and best_weight: the network tensor it belongs to
  std::string state;  // optimizer: the state name (exp_avg, ...)
  Shape shape;
  uint64_t offset = 0;  // from the start of the data section
  uint64_t byte_length = 0;
  uint32_t crc32c = 0;
};

struct ParamStateInfo {
  std::string param;
  int64_t step = 0;
  std::vector<size_t> tensors;  // indices into Contents::tensors
};

struct Environment {
  std::string blas_core_type;
  int32_t blas_threads = 0;
  std::string blas_config;
  std::string compiler;
  std::string cpu_arch;
};

struct Contents {
  std::string file;  // label used in messages
  uint32_t format_major = 0, format_minor = 0;
  std::string writer_version;
  int64_t created_unix_ns = 0;
  Environment environment;

  std::vector<LayerConfig> layers;
  // [i]: layer i's name and inputs; empty when every node is a stack's (every 1.0 file), so
  // that a stack costs no memory per node. Read it through node_links().
  std::vector<NodeLinks> links;
  Shape sample_input_shape;
  int32_t loss = 0;  // 0: none, else LossKind
  uint64_t seed = 0;
  // 1.3: the frozen parameters (sorted, each a parameter of the file) and the BatchNorm option.
  std::vector<std::string> frozen;
  bool frozen_batchnorm_eval = false;

  // Every tensor of the data section, in manifest order: network, optimizer, best weights.
  std::vector<TensorEntry> tensors;

  bool has_optimizer = false;
  OptimizerConfig optimizer;  // 1.3: with its param groups (resolved, each selecting a parameter)
  std::vector<ParamStateInfo> param_states;

  std::vector<RngState> rng;  // the model's streams
  std::vector<std::pair<std::string, std::string>> metadata;

  // The training loop (present in checkpoints of a trainer): its settings and whole state.
  bool has_scheduler = false, has_early_stopping = false, has_trainer = false;
  SchedulerConfig scheduler;
  std::string scheduler_monitor;
  SchedulerState scheduler_state;
  EarlyStoppingConfig early_stopping;       // mode resolved to min or max
  EarlyStoppingState early_stopping_state;  // best weights are in `tensors` (role best_weight)
  int64_t trainer_epochs = 0, trainer_batch_size = 0;
  bool trainer_shuffle = true, trainer_drop_last = false;
  // 1.2 (defaults for older files): clipping, accumulation and rollback settings; their state is
  // in `trainer`, their tensors in `tensors` (roles grad_accumulation, rollback_snapshot).
  GradClipConfig trainer_clip;
  int64_t trainer_accumulate_steps = 1;
  RollbackConfig trainer_rollback;  // enabled when the file has the table
  std::vector<int64_t> rollback_snapshot_steps;
  // 1.3: the deterministic-across-scale mode's chunk size (0: off; older files are off).
  int64_t trainer_deterministic_chunk_size = 0;
  TrainerState trainer;

  uint64_t data_length = 0;
  uint64_t file_size = 0;

  const TensorEntry *find(const std::string &name) const;
  // The step of the optimizer (the largest per-parameter step), 0 when there is none.
  int64_t optimizer_step() const;
};

// Layer `index`'s name and inputs.
inline NodeLinks node_links(const Contents &c, size_t index) {
  if (!c.links.empty()) return c.links[index];
  return NodeLinks{"", {static_cast<int32_t>(index) - 1}};
}

}  // namespace nnstate::checkpoint
