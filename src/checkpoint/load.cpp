// Loading a validated checkpoint: rebuilding a model from the file alone, or loading into a
// model the caller built after a strict comparison. All structural checks happen before any
// tensor of the model is written.
#include <cstdio>
#include <map>
#include <unordered_map>

#include "checkpoint/container.h"
#include "checkpoint/data.h"
#include "checkpoint/environment.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "layers/factory.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

struct NetworkTensor {
  TensorRole role;
  Tensor *value;
};

std::map<std::string, NetworkTensor> network_tensors(Model &model) {
  struct Walk : StateVisitor {
    std::map<std::string, NetworkTensor> out;
    void tensor(const std::string &name, TensorRole role, Tensor &value, Tensor *) override {
      out[name] = {role, &value};
    }
  } walk;
  model.network().visit_state(walk);
  return std::move(walk.out);
}

struct NetworkNodes : StateVisitor {
  std::vector<LayerConfig> layers;
  std::vector<NodeLinks> wiring;
  void layer(size_t, const LayerConfig &config) override { layers.push_back(config); }
  void links(size_t, const std::string &name, const std::vector<int32_t> &inputs) override {
    wiring.push_back({name, inputs});
  }
  void tensor(const std::string &, TensorRole, Tensor &, Tensor *) override {}
};

std::string describe_links(const NodeLinks &l) {
  std::string s = l.name.empty() ? "unnamed" : "\"" + l.name + "\"";
  s += " taking";
  for (int32_t input : l.inputs) s += " " + std::to_string(input);
  return s;
}

std::string describe_layer(const LayerConfig &c) {
  std::string s = layer_kind_name(c.kind());
  if (c.kind() == LayerKind::linear) {
    const auto &o = c.as<LinearConfig>();
    s += "(" + std::to_string(o.in_features) + ", " + std::to_string(o.out_features) +
         (o.bias ? "" : ", bias=False") + ")";
  }
  return s;
}

// Lists every difference between the file's network and the model's; throws when any.
void compare_strictly(Model &model, const Contents &c) {
  std::vector<std::string> problems;
  bool shape_problem = false;
  const auto have = network_tensors(model);
  std::map<std::string, const TensorEntry *> file;
  for (const TensorEntry &e : c.tensors) {
    if (e.role == Role::parameter || e.role == Role::buffer) file[e.name] = &e;
  }
  for (const auto &kv : have) {
    auto it = file.find(kv.first);
    if (it == file.end()) {
      problems.push_back("missing from the file: \"" + kv.first + "\" " +
                         kv.second.value->shape().to_string());
    } else if (it->second->shape != kv.second.value->shape() ||
               static_cast<int32_t>(it->second->role) != static_cast<int32_t>(kv.second.role)) {
      shape_problem = true;
      problems.push_back("\"" + kv.first + "\": file " + it->second->shape.to_string() +
                         ", network " + kv.second.value->shape().to_string());
    }
  }
  for (const auto &kv : file) {
    if (!have.count(kv.first)) {
      problems.push_back("not in the network: \"" + kv.first + "\" " +
                         kv.second->shape.to_string());
    }
  }
  NetworkNodes nodes;
  model.network().visit_state(nodes);
  const std::vector<LayerConfig> &layers = nodes.layers;
  if (layers.size() != c.layers.size()) {
    shape_problem = true;
    problems.push_back("the file has " + std::to_string(c.layers.size()) + " layers, the network " +
                       std::to_string(layers.size()));
  } else {
    for (size_t i = 0; i < layers.size(); ++i) {
      if (!(layers[i] == c.layers[i])) {
        shape_problem = true;
        problems.push_back("layer " + std::to_string(i) + ": file " + describe_layer(c.layers[i]) +
                           ", network " + describe_layer(layers[i]));
      }
      if (!(nodes.wiring[i] == node_links(c, i))) {
        shape_problem = true;
        problems.push_back("layer " + std::to_string(i) + ": file " +
                           describe_links(node_links(c, i)) + ", network " +
                           describe_links(nodes.wiring[i]));
      }
    }
  }
  if (problems.empty()) return;
  std::string message = describe_file(c.file) + " does not match the network:";
  for (const std::string &p : problems) message += "\n  " + p;
  fail(shape_problem ? NNSTATE_ERR_SHAPE_MISMATCH : NNSTATE_ERR_NOT_FOUND, message);
}

// A tensor of the model and the file's entry it is read from.
struct Binding {
  const TensorEntry *entry;
  Tensor *tensor;
};

// Binds the optimizer's state to the file's entries, reads everything, then sets the steps.
struct OptimizerBinding : OptimizerStateVisitor {
  const Contents *contents;
  const std::unordered_map<std::string, const TensorEntry *> *by_name;
  std::map<std::string, const ParamStateInfo *> states;
  std::vector<Binding> *bindings;
  std::vector<std::pair<int64_t *, int64_t>> steps;
  void step(const std::string &param, int64_t &step) override {
    auto it = states.find(param);
    if (it == states.end()) {
      fail(NNSTATE_ERR_CORRUPT,
           describe_file(contents->file) + ": no optimizer state for \"" + param + "\"");
    }
    steps.emplace_back(&step, it->second->step);
  }
  void tensor(const std::string &param, const char *state_name, Tensor &value) override {
    auto it = by_name->find("optimizer." + param + "." + state_name);
    if (it == by_name->end() || it->second->shape != value.shape()) {
      fail(NNSTATE_ERR_CORRUPT, describe_file(contents->file) + ": optimizer state \"" +
                                    state_name + "\" of \"" + param + "\" is missing or " +
                                    "mis-shaped");
    }
    bindings->push_back({it->second, &value});
  }
};

// Tensors from this size on are mapped from the file by load_mapped; smaller ones are copied,
// so that a file of many small tensors does not take one mapping each.
constexpr uint64_t kMapBytes = uint64_t{1} << 20;

// The target reading `b`: into the tensor's storage, or, when `map_fd` is a file and the tensor
// large, checked in place in a copy-on-write mapping of the file that becomes its storage.
ReadTarget read_target(const Binding &b, int map_fd) {
  const TensorEntry &e = *b.entry;
  if (map_fd >= 0 && e.byte_length >= kMapBytes &&
      b.tensor->map_file(map_fd, kHeaderSize + e.offset, e.shape)) {
    return {&e, b.tensor->data(), true};
  }
  return {&e, b.tensor->data()};
}

// What reading a checkpoint's tensors still has to check.
DataCheck data_check(const ValidatedCheckpoint &checkpoint, const LoadOptions &options) {
  if (checkpoint.data_verified) return DataCheck::none;
  return options.verify_crc ? DataCheck::crc_and_padding : DataCheck::padding;
}

// Reads the file's tensors into the model -- the network and, in full mode, the optimizer's
// state and the RNG streams -- in one pass over the data section. In full mode every other
// tensor (early stopping's best weights) is read into `extra` when it names a destination and,
// unless the data section was verified already, CRC-checked in any case, so that a full load
// checks every byte, as verify does.
void read_into(Model &model, const ValidatedCheckpoint &checkpoint, const LoadOptions &options,
               std::vector<ReadTarget> extra = {}, int map_fd = -1) {
  const Contents &c = checkpoint.contents;
  const DataCheck check = data_check(checkpoint, options);
  std::vector<ReadTarget> targets = std::move(extra);
  std::vector<Binding> bindings;
  const auto tensors = network_tensors(model);
  for (const TensorEntry &e : c.tensors) {
    if (e.role != Role::parameter && e.role != Role::buffer) continue;
    bindings.push_back({&e, tensors.at(e.name).value});
  }
  OptimizerBinding binding;
  const bool full = options.mode == LoadMode::full;
  std::unordered_map<std::string, const TensorEntry *> by_name;
  if (full && c.has_optimizer && model.optimizer()) {
    for (const TensorEntry &e : c.tensors) by_name.emplace(e.name, &e);
    binding.contents = &c;
    binding.by_name = &by_name;
    binding.bindings = &bindings;
    for (const ParamStateInfo &p : c.param_states) binding.states[p.param] = &p;
    model.optimizer()->visit_state(binding);
  }
  for (const Binding &b : bindings) targets.push_back(read_target(b, map_fd));
  if (full && check == DataCheck::crc_and_padding) {
    std::vector<bool> covered(c.tensors.size(), false);
    for (const ReadTarget &t : targets)
      covered[static_cast<size_t>(t.entry - c.tensors.data())] = true;
    for (size_t i = 0; i < c.tensors.size(); ++i) {
      if (!covered[i]) targets.push_back({&c.tensors[i], nullptr});
    }
  }
  read_tensors(checkpoint.source, c, std::move(targets), check);
  for (auto &s : binding.steps) *s.first = s.second;
  if (full) {
    for (const RngState &s : c.rng) {
      if (s.stream == static_cast<uint32_t>(RngStream::init)) model.init_rng() = Rng(s);
      if (s.stream == static_cast<uint32_t>(RngStream::dropout)) model.dropout_rng() = Rng(s);
    }
  }
}

bool same_groups_but_lr(const std::vector<ParamGroupConfig> &a,
                        const std::vector<ParamGroupConfig> &b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const ParamGroupOptions &x = a[i].options, &y = b[i].options;
    if (a[i].params != b[i].params || x.beta1 != y.beta1 || x.beta2 != y.beta2 || x.eps != y.eps ||
        x.weight_decay != y.weight_decay) {
      return false;
    }
  }
  return true;
}

// Whether `current` equals `wanted` in everything but the learning rates (which a schedule
// changes), so the model's optimizer and its already-faulted state tensors can be reused.
bool same_but_lr(const OptimizerConfig &current, const OptimizerConfig &wanted) {
  return same_groups_but_lr(current.groups, wanted.groups) && current.kind == wanted.kind &&
         current.beta1 == wanted.beta1 && current.beta2 == wanted.beta2 &&
         current.eps == wanted.eps && current.weight_decay == wanted.weight_decay &&
         current.amsgrad == wanted.amsgrad && current.maximize == wanted.maximize &&
         current.momentum == wanted.momentum && current.dampening == wanted.dampening &&
         current.nesterov == wanted.nesterov;
}

}  // namespace

namespace {

// The model the checkpoint describes, its tensors not yet read.
std::unique_ptr<Model> build_model(const Contents &c, const LoadOptions &options) {
  auto model = std::make_unique<Model>(c.seed);
  try {
    if (c.sample_input_shape.rank > 0)
      model->network().set_sample_input_shape(c.sample_input_shape);
    // Zero-initialised: the file provides every value, and the init stream stays untouched.
    for (size_t i = 0; i < c.layers.size(); ++i) {
      const NodeLinks links = node_links(c, i);
      model->network().add(make_layer(c.layers[i], nullptr), links.inputs, links.name);
    }
    if (c.loss != 0) model->set_loss(static_cast<LossKind>(c.loss));
    model->set_frozen(c.frozen);
    model->set_frozen_batchnorm_eval(c.frozen_batchnorm_eval);
    if (options.mode == LoadMode::full && c.has_optimizer) model->set_optimizer(c.optimizer);
  } catch (const Error &e) {
    if (e.status() == NNSTATE_ERR_OUT_OF_MEMORY) throw;
    fail(NNSTATE_ERR_CORRUPT,
         describe_file(c.file) + ": the architecture cannot be built: " + e.what());
  }
  return model;
}

}  // namespace

std::unique_ptr<Model> load(const ValidatedCheckpoint &checkpoint, const LoadOptions &options) {
  std::unique_ptr<Model> model = build_model(checkpoint.contents, options);
  read_into(*model, checkpoint, options);
  return model;
}

std::unique_ptr<Model> load_mapped(const std::string &path, const LoadOptions &options) {
  const MappedSource source(path, false);
  const ValidatedCheckpoint checkpoint = validate(source, false);
  std::unique_ptr<Model> model = build_model(checkpoint.contents, options);
  read_into(*model, checkpoint, options, {}, source.fd());
  return model;
}

std::unique_ptr<Model> load(const Source &source, const LoadOptions &options) {
  return load(validate(source, false), options);
}

namespace {

void load_contents_into(Model &model, const ValidatedCheckpoint &checkpoint,
                        const LoadOptions &options, std::vector<ReadTarget> extra = {}) {
  const Contents &c = checkpoint.contents;
  compare_strictly(model, c);
  if (options.mode == LoadMode::full) {
    if (c.loss != 0) model.set_loss(static_cast<LossKind>(c.loss));
    model.set_frozen(c.frozen);
    model.set_frozen_batchnorm_eval(c.frozen_batchnorm_eval);
    if (c.has_optimizer) {
      if (model.optimizer() && same_but_lr(model.optimizer()->config(), c.optimizer)) {
        for (size_t g = 0; g < model.optimizer()->group_count(); ++g) {
          model.optimizer()->set_group_lr(
              g, g == 0 ? c.optimizer.lr : c.optimizer.groups[g - 1].options.lr);
        }
      } else {
        model.set_optimizer(c.optimizer);
      }
    }
  }
  read_into(model, checkpoint, options, std::move(extra));
}

}  // namespace

void load_into(Model &model, const ValidatedCheckpoint &checkpoint, const LoadOptions &options) {
  load_contents_into(model, checkpoint, options);
}

void load_into(Model &model, const Source &source, const LoadOptions &options) {
  load_into(model, validate(source, false), options);
}

}  // namespace nnstate::checkpoint

namespace nnstate::checkpoint {
namespace {

// A double as text that tells any two values apart (std::to_string keeps 6 decimals).
std::string exact(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// Differences between the trainer's setup and the file's that would break the resume contract.
std::vector<std::string> setup_differences(const Trainer &trainer, const Contents &c) {
  std::vector<std::string> problems;
  const TrainerConfig &t = trainer.config();
  auto differ = [&](const char *what, const std::string &file, const std::string &ours) {
    if (file != ours)
      problems.push_back(std::string(what) + ": file " + file + ", trainer " + ours);
  };
  differ("batch_size", std::to_string(c.trainer_batch_size), std::to_string(t.batch_size));
  differ("shuffle", c.trainer_shuffle ? "on" : "off", t.shuffle ? "on" : "off");
  differ("drop_last", c.trainer_drop_last ? "on" : "off", t.drop_last ? "on" : "off");
  const SchedulerKind file_kind = c.has_scheduler ? c.scheduler.kind : SchedulerKind::none;
  const SchedulerKind our_kind =
      trainer.scheduler() ? trainer.scheduler()->config().kind : SchedulerKind::none;
  differ("scheduler", scheduler_kind_name(file_kind), scheduler_kind_name(our_kind));
  auto rates = [](const std::vector<double> &v) {
    std::string text = v.empty() ? "none" : "";
    for (double x : v) text += (text.empty() ? "" : ", ") + exact(x);
    return text;
  };
  if (c.has_scheduler && trainer.scheduler()) {
    differ("ReduceLROnPlateau's per-group min_lr", rates(c.scheduler.group_min_lr),
           rates(trainer.scheduler()->config().group_min_lr));
  }
  differ("early stopping", c.has_early_stopping ? "on" : "off",
         trainer.early_stopping() ? "on" : "off");
  // 1.2: what shapes every update; older files have none of it.
  differ("accumulate_steps", std::to_string(c.trainer_accumulate_steps),
         std::to_string(t.accumulate_steps));
  auto clip_text = [](const GradClipConfig &k) {
    if (!k.clips_norm() && !k.clips_value()) return std::string("off");
    return "norm " + exact(k.max_norm) + " of order " + exact(k.norm_type) +
           (k.error_if_nonfinite ? " (error if non-finite)" : "") + ", value " +
           exact(k.clip_value);
  };
  differ("gradient clipping", clip_text(c.trainer_clip), clip_text(t.clip));
  auto rollback_text = [](const RollbackConfig &k) {
    if (!k.enabled) return std::string("off");
    return "max_rollbacks " + std::to_string(k.max_rollbacks) + ", lr_factor " +
           exact(k.lr_factor) + ", skip_batches " + std::to_string(k.skip_batches) +
           ", snapshot_every " + std::to_string(k.snapshot_every) + ", spike_factor " +
           exact(k.spike_factor);
  };
  differ("divergence rollback", rollback_text(c.trainer_rollback), rollback_text(t.rollback));
  return problems;
}

// The trainer's own tensors -- the sums of an unfinished accumulation group and the rollback
// snapshot -- read once the model is loaded, since the snapshot is laid out like the model's
// optimizer, which the load may have replaced.
void read_trainer_tensors(Trainer &trainer, const ValidatedCheckpoint &checkpoint) {
  const Contents &c = checkpoint.contents;
  std::unordered_map<std::string, void *> sums, snapshot;
  GradAccumulator &acc = trainer.accumulator();
  for (size_t i = 0; i < acc.params().size(); ++i) {
    sums.emplace(acc.params()[i].name, acc.sums()[i].data());
  }
  if (c.trainer.snapshot_step >= 0) {
    for (const ModelSnapshot::Entry &e : trainer.snapshot().prepare(trainer.model())) {
      snapshot.emplace(e.name, e.copy->data());
    }
  }
  std::vector<ReadTarget> targets;
  size_t file_sums = 0, file_snapshot = 0;
  for (const TensorEntry &e : c.tensors) {
    if (e.role != Role::grad_accumulation && e.role != Role::rollback_snapshot) continue;
    const bool is_sum = e.role == Role::grad_accumulation;
    (is_sum ? file_sums : file_snapshot) += 1;
    auto &by_owner = is_sum ? sums : snapshot;
    auto it = by_owner.find(e.owner);
    if (it != by_owner.end()) targets.push_back({&e, it->second});
  }
  // Validation checked the lists against the file's own tensors; this catches state the
  // trainer's model does not have (every copy must be filled).
  const bool complete = targets.size() == file_sums + file_snapshot &&
                        (c.trainer.micro_in_group == 0 || file_sums == sums.size()) &&
                        (c.trainer.snapshot_step < 0 ||
                         (file_snapshot == snapshot.size() &&
                          c.rollback_snapshot_steps.size() == trainer.snapshot().steps().size()));
  if (!complete) {
    fail(NNSTATE_ERR_CORRUPT, describe_file(c.file) +
                                  ": the accumulated gradients or the rollback snapshot do not "
                                  "match the network and its optimizer");
  }
  if (c.trainer.snapshot_step >= 0) trainer.snapshot().steps() = c.rollback_snapshot_steps;
  read_tensors(checkpoint.source, c, std::move(targets),
               checkpoint.data_verified ? DataCheck::none : DataCheck::crc_and_padding);
}

// The determinism contract holds per BLAS core type and thread count, or per core type alone in
// the deterministic mode with the same chunks: say when what matters changed.
std::vector<std::string> environment_warnings(const Contents &c, const Model &model) {
  std::vector<std::string> warnings;
  const Environment now = current_environment();
  const int64_t chunk = model.deterministic_chunk_size();
  if (chunk != c.trainer_deterministic_chunk_size) {
    auto mode = [](int64_t size) {
      return size ? "the deterministic mode with chunks of " + std::to_string(size)
                  : std::string("the deterministic mode off");
    };
    warnings.push_back(describe_file(c.file) + " was written with " +
                       mode(c.trainer_deterministic_chunk_size) + "; this run uses " + mode(chunk) +
                       ": the continued run will differ from an uninterrupted one");
  }
  const bool threads_matter = chunk == 0 || chunk != c.trainer_deterministic_chunk_size;
  if (now.blas_core_type != c.environment.blas_core_type ||
      (threads_matter && now.blas_threads != c.environment.blas_threads)) {
    warnings.push_back(describe_file(c.file) + " was written with OpenBLAS core " +
                       c.environment.blas_core_type + " and " +
                       std::to_string(c.environment.blas_threads) + " threads; this run uses " +
                       now.blas_core_type + " and " + std::to_string(now.blas_threads) +
                       ": the continued run may differ in the last bits from an uninterrupted one");
  }
  return warnings;
}

}  // namespace

std::vector<std::string> restore_trainer(Trainer &trainer, const ValidatedCheckpoint &checkpoint) {
  const Contents &c = checkpoint.contents;
  if (!c.has_trainer) {
    fail(NNSTATE_ERR_STATE, describe_file(c.file) +
                                " holds no training-loop state: it was saved from a network, "
                                "not a trainer (load it with nnstate_checkpoint_load_into)");
  }
  const std::vector<std::string> problems = setup_differences(trainer, c);
  if (!problems.empty()) {
    std::string message = describe_file(c.file) + " was saved by a trainer set up differently:";
    for (const std::string &p : problems) message += "\n  " + p;
    fail(NNSTATE_ERR_STATE, message);
  }

  // Best weights into new tensors, in the same pass as the model's: the training loop's state
  // changes only once everything was read.
  std::vector<std::pair<std::string, Tensor>> best_weights;
  std::vector<ReadTarget> targets;
  for (const TensorEntry &e : c.tensors) {
    if (e.role == Role::best_weight) best_weights.emplace_back(e.owner, Tensor(e.shape));
  }
  size_t next = 0;
  for (const TensorEntry &e : c.tensors) {
    if (e.role == Role::best_weight) targets.push_back({&e, best_weights[next++].second.data()});
  }
  load_contents_into(trainer.model(), checkpoint, LoadOptions{}, std::move(targets));
  if (trainer.scheduler()) trainer.scheduler()->restore(c.scheduler_state);
  if (EarlyStopping *es = trainer.early_stopping()) {
    es->state() = c.early_stopping_state;
    es->state().best_weights = std::move(best_weights);
  }
  // The file's frozen set may differ from the one the trainer was built with; the state set
  // below replaces any unfinished group of the trainer's own.
  trainer.state().micro_in_group = 0;
  trainer.refresh_parameters();
  read_trainer_tensors(trainer, checkpoint);
  trainer.state() = c.trainer;
  return environment_warnings(c, trainer.model());
}

std::vector<std::string> resume_trainer(Trainer &trainer, const Source &source) {
  return restore_trainer(trainer, validate(source, true));
}

std::vector<std::string> resume_trainer(Trainer &trainer, const std::string &path) {
  // Not populated at once: faulting pages in as the checks reach them measured faster here
  // (fault-around maps 16 pages a fault) than MADV_POPULATE_READ, and two preads slower still.
  const MappedSource source(path, false);
  return resume_trainer(trainer, source);
}

}  // namespace nnstate::checkpoint
