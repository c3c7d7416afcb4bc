// Save: the layout and the manifest are fixed first (CRC fields as placeholders), then one
// streaming pass: tensors go from their storage (or a staged copy) to the sink, their CRCs
// computed on a helper thread meanwhile for large images (else each chunk CRC'd while it is in
// cache) and patched into the manifest, which follows the data; the header is written last at
// offset 0.
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <set>
#include <system_error>
#include <thread>

#include "checkpoint/container.h"
#include "checkpoint/crc32c.h"
#include "checkpoint/environment.h"
#include "checkpoint/io.h"
#include "checkpoint/save.h"
#include "checkpoint_generated.h"
#include "layers/layer_spec.h"
#include "layers/registry.h"
#include "nnstate/nnstate.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

namespace fbs = ::nnstate::fb;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// Large enough to amortise a syscall, small enough that a CRC'd chunk is still in L2 when the
// kernel copies it.
constexpr size_t kChunk = size_t{256} << 10;
// From this size on the CRCs are computed on a second thread while the data is written, so the
// CRC work overlaps the kernel's copy into the page cache (and the disk, with fsync).
constexpr uint64_t kThreadedCrcBytes = uint64_t{8} << 20;

struct PendingTensor {
  const unsigned char *bytes;  // the live tensor, or its copy once the image is staged
  TensorEntry entry;
  // Where the manifest's TensorRef of this tensor is, as an offset from the manifest's end;
  // recorded while the manifest is built, so that the CRC can be filled in once computed.
  mutable uint32_t manifest_ref = 0;
};

struct ParamStep {
  std::string param;
  int64_t step;
  std::vector<size_t> tensors;  // indices into the pending list
};

// Everything the manifest needs from the model, gathered through the state visitors.
struct Snapshot {
  std::vector<LayerConfig> layers;
  std::vector<NodeLinks> links;
  std::vector<PendingTensor> tensors;
  std::vector<ParamStep> params;
};

void add_pending(Snapshot &snap, const Tensor &value, Role role, const std::string &prefix,
                 const std::string &owner) {
  TensorEntry e;
  e.name = prefix + owner;
  e.role = role;
  e.owner = owner;
  e.shape = value.shape();
  e.byte_length = value.byte_size();
  snap.tensors.push_back({reinterpret_cast<const unsigned char *>(value.data()), e});
}

// The trainer's own tensors: the sums of an unfinished accumulation group and the rollback
// snapshot, each only while it holds something.
void add_trainer_tensors(Snapshot &snap, Model &model, const Trainer &trainer) {
  const TrainerState &st = trainer.state();
  if (st.micro_in_group > 0) {
    const GradAccumulator &acc = trainer.accumulator();
    for (size_t i = 0; i < acc.params().size(); ++i) {
      add_pending(snap, acc.sums()[i], Role::grad_accumulation, "trainer.grad_accumulation.",
                  acc.params()[i].name);
    }
  }
  if (trainer.config().rollback.enabled && st.snapshot_step >= 0) {
    for (const ModelSnapshot::ConstEntry &e : trainer.snapshot().entries(model)) {
      add_pending(snap, *e.copy, Role::rollback_snapshot, "rollback.", e.name);
    }
  }
}

Snapshot take_snapshot(Model &model, const Trainer *trainer) {
  Snapshot snap;
  struct NetworkWalk : StateVisitor {
    Snapshot *snap;
    void layer(size_t, const LayerConfig &config) override { snap->layers.push_back(config); }
    void links(size_t, const std::string &name, const std::vector<int32_t> &inputs) override {
      snap->links.push_back({name, inputs});
    }
    void tensor(const std::string &name, TensorRole role, Tensor &value, Tensor *) override {
      TensorEntry e;
      e.name = name;
      e.role = role == TensorRole::parameter ? Role::parameter : Role::buffer;
      e.shape = value.shape();
      e.byte_length = value.byte_size();
      snap->tensors.push_back({reinterpret_cast<const unsigned char *>(value.data()), e});
    }
  } network_walk;
  network_walk.snap = &snap;
  model.network().visit_state(network_walk);

  if (Optimizer *optimizer = model.optimizer()) {
    struct OptimizerWalk : OptimizerStateVisitor {
      Snapshot *snap;
      void step(const std::string &param, int64_t &step) override {
        snap->params.push_back({param, step, {}});
      }
      void tensor(const std::string &param, const char *state_name, Tensor &value) override {
        if (snap->params.empty() || snap->params.back().param != param) {
          fail(NNSTATE_ERR_INTERNAL, "optimizer state of \"" + param + "\" before its step");
        }
        TensorEntry e;
        e.name = "optimizer." + param + "." + state_name;
        e.role = Role::optimizer;
        e.owner = param;
        e.state = state_name;
        e.shape = value.shape();
        e.byte_length = value.byte_size();
        snap->params.back().tensors.push_back(snap->tensors.size());
        snap->tensors.push_back({reinterpret_cast<const unsigned char *>(value.data()), e});
      }
    } optimizer_walk;
    optimizer_walk.snap = &snap;
    optimizer->visit_state(optimizer_walk);
  }
  if (trainer && trainer->early_stopping()) {
    for (const auto &[name, value] : trainer->early_stopping()->state().best_weights) {
      TensorEntry e;
      e.name = "early_stopping.best." + name;
      e.role = Role::best_weight;
      e.owner = name;
      e.shape = value.shape();
      e.byte_length = value.byte_size();
      snap.tensors.push_back({reinterpret_cast<const unsigned char *>(value.data()), e});
    }
  }
  if (trainer) add_trainer_tensors(snap, model, *trainer);
  return snap;
}

void check_metadata(const SaveOptions &options) {
  std::set<std::string> keys;
  for (const auto &kv : options.metadata) {
    if (kv.first.empty()) fail(NNSTATE_ERR_INVALID_ARGUMENT, "metadata key is empty");
    if (!keys.insert(kv.first).second) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT, "metadata key \"" + kv.first + "\" appears twice");
    }
  }
}

Offset<flatbuffers::Vector<int64_t>> shape_vector(FlatBufferBuilder &b, const Shape &shape) {
  return b.CreateVector(shape.dims, static_cast<size_t>(shape.rank));
}

// The CRC is written as a placeholder (ForceDefaults keeps the field in place whatever its
// value) and patched once the tensor's bytes have been streamed.
Offset<fbs::TensorRef> tensor_ref(FlatBufferBuilder &b, const PendingTensor &p,
                                  const std::string &name) {
  const TensorEntry &e = p.entry;
  auto n = b.CreateString(name);
  auto s = shape_vector(b, e.shape);
  fbs::TensorRefBuilder t(b);
  t.add_name(n);
  t.add_dtype(fbs::DType::float32);
  t.add_shape(s);
  t.add_offset(e.offset);
  t.add_byte_length(e.byte_length);
  t.add_crc32c(e.crc32c);
  t.add_role(static_cast<fbs::TensorRole>(e.role));
  const Offset<fbs::TensorRef> ref = t.Finish();
  p.manifest_ref = ref.o;
  return ref;
}

Offset<fbs::Layer> layer_table(FlatBufferBuilder &b, const LayerConfig &c, const NodeLinks &links,
                               size_t index) {
  // Union type numbers equal LayerKind values by construction of the schema.
  const auto type = static_cast<fbs::LayerConfig>(static_cast<int32_t>(c.kind()));
  const Offset<void> config = layer_kind_entry(c.kind()).spec->encode_table(b, c);
  // A stack's nodes (unnamed, each taking the previous one) leave both fields out, as in 1.0.
  const auto name = links.name.empty() ? 0 : b.CreateString(links.name);
  const auto inputs = takes_previous(links, index) ? 0 : b.CreateVector(links.inputs);
  return fbs::CreateLayer(b, type, config, name, inputs);
}

Offset<fbs::Environment> environment(FlatBufferBuilder &b) {
  const Environment e = current_environment();
  auto core = b.CreateString(e.blas_core_type);
  auto config = b.CreateString(e.blas_config);
  auto compiler = b.CreateString(e.compiler);
  auto arch = b.CreateString(e.cpu_arch);
  return fbs::CreateEnvironment(b, core, e.blas_threads, config, compiler, arch);
}

Offset<fbs::RngState> rng_table(FlatBufferBuilder &b, const RngState &s) {
  return fbs::CreateRngState(b, s.seed, s.stream, s.block, s.position);
}

Offset<fbs::Optimizer> optimizer_table(FlatBufferBuilder &b, const OptimizerConfig &c,
                                       const Snapshot &snap) {
  std::vector<Offset<fbs::ParamState>> params;
  for (const ParamStep &p : snap.params) {
    std::vector<Offset<fbs::TensorRef>> refs;
    for (size_t i : p.tensors) {
      refs.push_back(tensor_ref(b, snap.tensors[i], snap.tensors[i].entry.state));
    }
    auto refs_v = b.CreateVector(refs);
    auto name = b.CreateString(p.param);
    params.push_back(fbs::CreateParamState(b, name, p.step, refs_v));
  }
  auto params_v = b.CreateVector(params);
  Offset<flatbuffers::Vector<Offset<fbs::ParamGroup>>> groups_v;
  if (!c.groups.empty()) {
    std::vector<Offset<fbs::ParamGroup>> groups;
    for (const ParamGroupConfig &g : c.groups) {
      auto patterns = b.CreateVectorOfStrings(g.params);
      const ParamGroupOptions &k = g.options;
      groups.push_back(
          fbs::CreateParamGroup(b, patterns, k.lr, k.beta1, k.beta2, k.eps, k.weight_decay));
    }
    groups_v = b.CreateVector(groups);
  }
  fbs::OptimizerBuilder o(b);
  o.add_kind(static_cast<fbs::OptimizerKind>(c.kind));
  o.add_lr(c.lr);
  o.add_beta1(c.beta1);
  o.add_beta2(c.beta2);
  o.add_eps(c.eps);
  o.add_weight_decay(c.weight_decay);
  o.add_amsgrad(c.amsgrad);
  o.add_maximize(c.maximize);
  o.add_momentum(c.momentum);
  o.add_dampening(c.dampening);
  o.add_nesterov(c.nesterov);
  o.add_params(params_v);
  if (!groups_v.IsNull()) o.add_groups(groups_v);
  return o.Finish();
}

Offset<fbs::Scheduler> scheduler_table(FlatBufferBuilder &b, const Trainer &trainer, Model &model) {
  const LrScheduler &scheduler = *trainer.scheduler();
  const SchedulerConfig &c = scheduler.config();
  const SchedulerState &st = scheduler.state();
  auto milestones = b.CreateVector(c.milestones);
  auto monitor = b.CreateString(trainer.config().scheduler_monitor);
  Offset<flatbuffers::Vector<double>> group_base_lr, group_min_lr;
  if (!st.group_base_lrs.empty()) group_base_lr = b.CreateVector(st.group_base_lrs);
  if (!c.group_min_lr.empty()) group_min_lr = b.CreateVector(c.group_min_lr);
  fbs::SchedulerBuilder s(b);
  s.add_kind(static_cast<fbs::SchedulerKind>(c.kind));
  s.add_base_lr(st.base_lr);
  s.add_last_epoch(st.last_epoch);
  s.add_last_lr(model.optimizer() ? model.optimizer()->lr() : 0.0);
  s.add_step_size(c.step_size);
  s.add_gamma(c.gamma);
  s.add_milestones(milestones);
  s.add_t_max(c.t_max);
  s.add_eta_min(c.eta_min);
  s.add_start_factor(c.start_factor);
  s.add_end_factor(c.end_factor);
  s.add_total_iters(c.total_iters);
  s.add_mode(static_cast<fbs::PlateauMode>(c.mode));
  s.add_factor(c.factor);
  s.add_patience(c.patience);
  s.add_threshold(c.threshold);
  s.add_threshold_mode(static_cast<fbs::ThresholdMode>(c.threshold_mode));
  s.add_cooldown(c.cooldown);
  s.add_min_lr(c.min_lr);
  s.add_eps(c.eps);
  s.add_best(st.best);
  s.add_num_bad_epochs(st.num_bad_epochs);
  s.add_cooldown_counter(st.cooldown_counter);
  s.add_per_batch(c.per_batch);
  s.add_monitor(monitor);
  if (!group_base_lr.IsNull()) s.add_group_base_lr(group_base_lr);
  if (!group_min_lr.IsNull()) s.add_group_min_lr(group_min_lr);
  return s.Finish();
}

// Best weights are streamed with the other tensors (role best_weight); here they are listed
// under the network names they belong to.
Offset<fbs::EarlyStopping> early_stopping_table(FlatBufferBuilder &b, const EarlyStopping &es,
                                                const Snapshot &snap) {
  const EarlyStoppingConfig &c = es.config();
  const EarlyStoppingState &st = es.state();
  std::vector<Offset<fbs::TensorRef>> refs;
  for (const PendingTensor &p : snap.tensors) {
    if (p.entry.role == Role::best_weight) refs.push_back(tensor_ref(b, p, p.entry.owner));
  }
  auto refs_v = b.CreateVector(refs);
  auto monitor = b.CreateString(c.monitor);
  fbs::EarlyStoppingBuilder e(b);
  e.add_monitor(monitor);
  e.add_min_delta(c.min_delta);
  e.add_patience(c.patience);
  e.add_mode(static_cast<fbs::EarlyStoppingMode>(c.mode));
  e.add_baseline(c.baseline);
  e.add_has_baseline(c.has_baseline);
  e.add_restore_best_weights(c.restore_best_weights);
  e.add_start_from_epoch(c.start_from_epoch);
  e.add_best(st.best);
  e.add_best_epoch(st.best_epoch);
  e.add_wait(st.wait);
  e.add_stopped_epoch(st.stopped_epoch);
  e.add_best_weights(refs_v);
  return e.Finish();
}

// The tensors of `role`, listed under their owners' names as the early stopping table does.
Offset<flatbuffers::Vector<Offset<fbs::TensorRef>>> owned_refs(FlatBufferBuilder &b,
                                                               const Snapshot &snap, Role role) {
  std::vector<Offset<fbs::TensorRef>> refs;
  for (const PendingTensor &p : snap.tensors) {
    if (p.entry.role == role) refs.push_back(tensor_ref(b, p, p.entry.owner));
  }
  return b.CreateVector(refs);
}

Offset<fbs::Rollback> rollback_table(FlatBufferBuilder &b, const Trainer &trainer,
                                     const Snapshot &snap) {
  const RollbackConfig &c = trainer.config().rollback;
  const TrainerState &st = trainer.state();
  std::vector<Offset<fbs::RollbackEvent>> events;
  for (const RollbackEvent &e : st.rollbacks) {
    events.push_back(
        fbs::CreateRollbackEvent(b, e.epoch, e.batch, e.global_step, e.restored_step, e.loss, e.lr,
                                 static_cast<fbs::DivergenceReason>(e.reason), e.gave_up));
  }
  auto events_v = b.CreateVector(events);
  auto snapshot_v = owned_refs(b, snap, Role::rollback_snapshot);
  auto steps_v =
      b.CreateVector(st.snapshot_step >= 0 ? trainer.snapshot().steps() : std::vector<int64_t>{});
  fbs::RollbackBuilder r(b);
  r.add_max_rollbacks(c.max_rollbacks);
  r.add_lr_factor(c.lr_factor);
  r.add_skip_batches(c.skip_batches);
  r.add_snapshot_every(c.snapshot_every);
  r.add_spike_factor(c.spike_factor);
  r.add_skip_remaining(st.skip_remaining);
  r.add_loss_average(st.loss_average);
  r.add_loss_count(st.loss_count);
  r.add_snapshot_step(st.snapshot_step);
  r.add_diverged(st.diverged);
  r.add_events(events_v);
  r.add_snapshot(snapshot_v);
  r.add_snapshot_steps(steps_v);
  return r.Finish();
}

Offset<fbs::Trainer> trainer_table(FlatBufferBuilder &b, const Trainer &trainer,
                                   const Snapshot &snap) {
  const TrainerState &st = trainer.state();
  std::vector<Offset<fbs::EpochMetrics>> rows;
  for (const HistoryRow &row : st.history) {
    std::vector<Offset<fbs::Metric>> metrics;
    for (const char *name : kHistoryMetrics) {
      auto n = b.CreateString(name);
      metrics.push_back(fbs::CreateMetric(b, n, history_metric(row, name)));
    }
    auto seconds = b.CreateString("seconds");
    metrics.push_back(fbs::CreateMetric(b, seconds, row.seconds));
    auto metrics_v = b.CreateVector(metrics);
    rows.push_back(fbs::CreateEpochMetrics(b, row.epoch, metrics_v));
  }
  auto history = b.CreateVector(rows);
  auto no_rngs = b.CreateVector(std::vector<Offset<fbs::RngState>>{});
  auto shuffle = rng_table(b, st.epoch_shuffle_rng);
  const TrainerConfig &c = trainer.config();
  auto accumulation = owned_refs(b, snap, Role::grad_accumulation);
  Offset<fbs::Rollback> rollback;
  if (c.rollback.enabled) rollback = rollback_table(b, trainer, snap);
  fbs::TrainerBuilder t(b);
  t.add_epoch(st.epoch);
  t.add_global_step(st.global_step);
  t.add_batch_in_epoch(st.batch_in_epoch);
  t.add_epochs(c.epochs);
  t.add_batch_size(c.batch_size);
  t.add_shuffle(c.shuffle);
  t.add_drop_last(c.drop_last);
  t.add_epoch_shuffle_rng(shuffle);
  t.add_epoch_loss_sum(st.epoch_loss_sum);
  t.add_epoch_samples(st.epoch_samples);
  t.add_epoch_correct(st.epoch_correct);
  t.add_epoch_judged(st.epoch_judged);
  t.add_epoch_seconds(st.epoch_seconds);
  t.add_stopped_early(st.stopped_early);
  t.add_history(history);
  t.add_rng(no_rngs);
  t.add_clip_grad_norm(c.clip.max_norm);
  t.add_clip_norm_type(c.clip.norm_type);
  t.add_clip_error_if_nonfinite(c.clip.error_if_nonfinite);
  t.add_clip_grad_value(c.clip.clip_value);
  t.add_accumulate_steps(c.accumulate_steps);
  t.add_micro_in_group(st.micro_in_group);
  t.add_optimizer_steps(st.optimizer_steps);
  t.add_grad_accumulation(accumulation);
  t.add_epoch_skipped(st.epoch_skipped);
  if (!rollback.IsNull()) t.add_rollback(rollback);
  t.add_deterministic_chunk_size(trainer.model().deterministic_chunk_size());
  return t.Finish();
}

void build_manifest(FlatBufferBuilder &b, Model &model, const Snapshot &snap,
                    const SaveOptions &options) {
  std::vector<Offset<fbs::Layer>> layers;
  for (size_t i = 0; i < snap.layers.size(); ++i) {
    layers.push_back(layer_table(b, snap.layers[i], snap.links.at(i), i));
  }
  auto layers_v = b.CreateVector(layers);
  const Shape &input = model.network().sample_input_shape();
  auto input_v = shape_vector(b, input);
  fbs::LossKind loss =
      model.loss() ? static_cast<fbs::LossKind>(model.loss()->kind()) : fbs::LossKind::none;
  // 1.3: absent when nothing is frozen, as in every older file.
  Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> frozen;
  if (!model.frozen().empty()) frozen = b.CreateVectorOfStrings(model.frozen());
  auto arch = fbs::CreateArchitecture(b, layers_v, input_v, loss, model.seed(), frozen,
                                      model.frozen_batchnorm_eval());

  std::vector<Offset<fbs::TensorRef>> network_refs;
  for (const PendingTensor &p : snap.tensors) {
    if (p.entry.role == Role::parameter || p.entry.role == Role::buffer) {
      network_refs.push_back(tensor_ref(b, p, p.entry.name));
    }
  }
  auto tensors_v = b.CreateVector(network_refs);

  Offset<fbs::Optimizer> optimizer;
  if (model.optimizer()) optimizer = optimizer_table(b, model.optimizer()->config(), snap);

  std::vector<Offset<fbs::RngState>> rngs = {rng_table(b, model.init_rng().state()),
                                             rng_table(b, model.dropout_rng().state())};
  auto rng_v = b.CreateVector(rngs);

  std::vector<Offset<fbs::KeyValue>> kvs;
  for (const auto &kv : options.metadata) {
    auto k = b.CreateString(kv.first);
    auto v = b.CreateString(kv.second);
    kvs.push_back(fbs::CreateKeyValue(b, k, v));
  }
  auto metadata_v = b.CreateVector(kvs);

  auto format = fbs::CreateFormatVersion(b, kFormatMajor, kFormatMinor);
  auto writer = b.CreateString(NNSTATE_VERSION_STRING);
  auto env = environment(b);
  const int64_t now = options.created_unix_ns != 0
                          ? options.created_unix_ns
                          : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();

  Offset<fbs::Scheduler> scheduler;
  Offset<fbs::EarlyStopping> early_stopping;
  Offset<fbs::Trainer> trainer;
  if (const Trainer *t = options.trainer) {
    if (t->scheduler()) scheduler = scheduler_table(b, *t, model);
    if (t->early_stopping()) early_stopping = early_stopping_table(b, *t->early_stopping(), snap);
    trainer = trainer_table(b, *t, snap);
  }

  fbs::ManifestBuilder m(b);
  m.add_format(format);
  m.add_writer_version(writer);
  m.add_created_unix_ns(now);
  m.add_environment(env);
  m.add_architecture(arch);
  m.add_tensors(tensors_v);
  if (!optimizer.IsNull()) m.add_optimizer(optimizer);
  if (!scheduler.IsNull()) m.add_scheduler(scheduler);
  if (!early_stopping.IsNull()) m.add_early_stopping(early_stopping);
  if (!trainer.IsNull()) m.add_trainer(trainer);
  m.add_rng(rng_v);
  m.add_metadata(metadata_v);
  fbs::FinishManifestBuffer(b, m.Finish());
}

// The CRC of every tensor, computed in pieces on a helper thread that runs over the tensors while
// the caller writes them; the caller takes the pieces the helper has not reached once its writes
// are done, so a helper the scheduler holds back delays the save by one piece at most. Only
// reads the bytes, which stay unchanged during write(): a staged image's copy, or live tensors
// of a model that the saving thread owns meanwhile.
class ParallelCrcs {
 public:
  explicit ParallelCrcs(const std::vector<PendingTensor> &tensors) : tensors_(tensors) {
    first_piece_.reserve(tensors.size() + 1);
    for (size_t i = 0; i < tensors.size(); ++i) {
      first_piece_.push_back(pieces_.size());
      const uint64_t length = tensors[i].entry.byte_length;
      for (uint64_t from = 0; from < length; from += kPiece) {
        pieces_.push_back({i, from, std::min(kPiece, length - from), 0});
      }
    }
    first_piece_.push_back(pieces_.size());
    try {
      thread_ = std::thread([this] { compute(); });
    } catch (const std::system_error &) {
      // No thread: results() computes them all.
    }
  }
  ~ParallelCrcs() {
    if (thread_.joinable()) thread_.join();
  }
  ParallelCrcs(const ParallelCrcs &) = delete;
  ParallelCrcs &operator=(const ParallelCrcs &) = delete;
  // Computes the pieces left, waits for the helper and returns the CRCs in the order of the
  // tensors.
  std::vector<uint32_t> results() {
    compute();
    if (thread_.joinable()) thread_.join();
    std::vector<uint32_t> crcs(tensors_.size(), 0);
    for (size_t i = 0; i < tensors_.size(); ++i) {
      for (size_t k = first_piece_[i]; k < first_piece_[i + 1]; ++k) {
        crcs[i] = crc32c_combine(crcs[i], pieces_[k].crc, pieces_[k].size);
      }
    }
    return crcs;
  }

 private:
  // Large enough that joining the CRCs costs nothing, small enough to share the work evenly.
  static constexpr uint64_t kPiece = uint64_t{4} << 20;
  struct Piece {
    size_t tensor;
    uint64_t from, size;
    uint32_t crc;
  };

  void compute() {
    for (size_t k; (k = next_.fetch_add(1, std::memory_order_relaxed)) < pieces_.size();) {
      Piece &p = pieces_[k];
      p.crc = crc32c(0, tensors_[p.tensor].bytes + p.from, static_cast<size_t>(p.size));
    }
  }

  const std::vector<PendingTensor> &tensors_;
  std::vector<Piece> pieces_;
  std::vector<size_t> first_piece_;  // of each tensor, and the end
  std::atomic<size_t> next_{0};
  std::thread thread_;
};

}  // namespace

struct CheckpointImage::Parts {
  Snapshot snap;
  uint64_t data_length = 0;
  flatbuffers::DetachedBuffer manifest;
};

CheckpointImage::CheckpointImage(Model &model, const SaveOptions &options)
    : parts_(std::make_unique<Parts>()) {
  check_metadata(options);
  if (options.trainer && &options.trainer->model() != &model) {
    fail(NNSTATE_ERR_INTERNAL, "the trainer to save does not train this model");
  }
  Parts &p = *parts_;
  p.snap = take_snapshot(model, options.trainer);
  // The layout depends only on the sizes, so the manifest can be built before any byte is
  // streamed; only the CRCs are left to fill in.
  uint64_t offset = 0;
  for (PendingTensor &t : p.snap.tensors) {
    t.entry.offset = offset;
    offset = align_up(offset + t.entry.byte_length);
  }
  p.data_length = offset;
  FlatBufferBuilder builder(size_t{16} << 10);
  builder.ForceDefaults(true);  // every field explicit: inspection never relies on defaults
  build_manifest(builder, model, p.snap, options);
  if (builder.GetSize() > kMaxManifestSize) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "the manifest would be " + std::to_string(builder.GetSize()) + " bytes, over 2 GiB");
  }
  p.manifest = builder.Release();
}

CheckpointImage::~CheckpointImage() = default;

uint64_t CheckpointImage::data_bytes() const {
  return parts_->data_length;
}

uint64_t CheckpointImage::file_bytes() const {
  return kHeaderSize + parts_->data_length + parts_->manifest.size();
}

void CheckpointImage::stage(unsigned char *staging) {
  uint64_t end = 0;
  for (PendingTensor &t : parts_->snap.tensors) {
    const TensorEntry &e = t.entry;
    std::memset(staging + end, 0, static_cast<size_t>(e.offset - end));
    if (e.byte_length > 0) std::memcpy(staging + e.offset, t.bytes, e.byte_length);
    t.bytes = staging + e.offset;
    end = e.offset + e.byte_length;
  }
  std::memset(staging + end, 0, static_cast<size_t>(parts_->data_length - end));
}

void CheckpointImage::write(Sink &sink, bool parallel_crcs) {
  static const unsigned char kZeros[kAlignment] = {};
  sink.write(kZeros, kHeaderSize);  // placeholder: the header needs the manifest's CRC

  uint8_t *manifest = parts_->manifest.data();
  const size_t manifest_size = parts_->manifest.size();
  const std::vector<PendingTensor> &tensors = parts_->snap.tensors;
  std::unique_ptr<ParallelCrcs> parallel;
  // On one core the CRCs are computed inline, while each chunk is in cache.
  if (parallel_crcs && parts_->data_length >= kThreadedCrcBytes &&
      std::thread::hardware_concurrency() > 1) {
    parallel = std::make_unique<ParallelCrcs>(tensors);
  }
  const bool inline_crcs = !parallel;
  std::vector<uint32_t> crcs(tensors.size(), 0);
  uint64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const PendingTensor &p = tensors[i];
    const TensorEntry &e = p.entry;
    if (inline_crcs) {
      for (uint64_t done = 0; done < e.byte_length;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, e.byte_length - done));
        crcs[i] = crc32c(crcs[i], p.bytes + done, n);
        sink.write(p.bytes + done, n);
        done += n;
      }
    } else if (e.byte_length > 0) {
      sink.write(p.bytes, static_cast<size_t>(e.byte_length));
    }
    uint64_t end = align_up(offset + e.byte_length);
    sink.write(kZeros, static_cast<size_t>(end - offset - e.byte_length));
    offset = end;
  }
  if (!inline_crcs) crcs = parallel->results();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const PendingTensor &p = tensors[i];
    // The TensorRef table sits manifest_ref bytes before the end of the finished buffer.
    if (p.manifest_ref == 0 || p.manifest_ref > manifest_size) {
      fail(NNSTATE_ERR_INTERNAL,
           "tensor \"" + p.entry.name + "\" has no reference in the manifest");
    }
    auto *ref = reinterpret_cast<flatbuffers::Table *>(manifest + manifest_size - p.manifest_ref);
    if (!ref->SetField<uint32_t>(fbs::TensorRef::VT_CRC32C, crcs[i], 0)) {
      fail(NNSTATE_ERR_INTERNAL, "the manifest has no CRC field for \"" + p.entry.name + "\"");
    }
  }
  sink.write(manifest, manifest_size);

  Header h;
  h.data_offset = kHeaderSize;
  h.data_length = offset;
  h.manifest_offset = kHeaderSize + offset;
  h.manifest_length = manifest_size;
  h.manifest_crc32c = crc32c(0, manifest, manifest_size);
  unsigned char header[kHeaderSize];
  encode_header(h, header);
  sink.write_at_start(header, sizeof header);
}

void save(Model &model, const std::string &path, const SaveOptions &options) {
  if (path.empty()) fail(NNSTATE_ERR_INVALID_ARGUMENT, "checkpoint path is empty");
  CheckpointImage image(model, options);
  FileSink sink(path, options.sync);
  image.write(sink);
  sink.commit();
}

size_t save_to_buffer(Model &model, void *buffer, size_t capacity, const SaveOptions &options) {
  CheckpointImage image(model, options);
  MemorySink sink(buffer, capacity);
  image.write(sink);
  return static_cast<size_t>(sink.position());
}

}  // namespace nnstate::checkpoint
