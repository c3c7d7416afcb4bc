#include "checkpoint/fields.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "layers/layer_spec.h"
#include "layers/registry.h"
#include "losses/loss.h"

namespace nnstate::checkpoint {

std::string exact_text(double value) {
  char text[40];
  if (std::isnan(value)) {
    uint64_t bits = 0, quiet = 0;
    const double default_nan = std::numeric_limits<double>::quiet_NaN();
    std::memcpy(&bits, &value, sizeof bits);
    std::memcpy(&quiet, &default_nan, sizeof quiet);
    if (bits == quiet) return "nan";
    std::snprintf(text, sizeof text, "nan(0x%016llx)", static_cast<unsigned long long>(bits));
    return text;
  }
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;  // %.17g always reads back; -0 keeps its sign
}

namespace {

// Appends fields under a common prefix ("scheduler.", "trainer.history[3].").
class FieldList {
 public:
  explicit FieldList(std::vector<Field> &out) : out_(out) {}
  void text(const std::string &name, const std::string &value, bool wall_clock = false) {
    out_.push_back(Field{prefix + name, value, wall_clock});
  }
  void integer(const std::string &name, int64_t value) { text(name, std::to_string(value)); }
  void unsigned_integer(const std::string &name, uint64_t value) {
    text(name, std::to_string(value));
  }
  void boolean(const std::string &name, bool value) { text(name, value ? "true" : "false"); }
  void real(const std::string &name, double value, bool wall_clock = false) {
    text(name, exact_text(value), wall_clock);
  }
  void size2(const std::string &name, const Size2 &s) {
    text(name, "[" + std::to_string(s.h) + ", " + std::to_string(s.w) + "]");
  }
  void rng(const std::string &name, const RngState &s) {
    unsigned_integer(name + ".seed", s.seed);
    unsigned_integer(name + ".stream", s.stream);
    unsigned_integer(name + ".block", s.block);
    unsigned_integer(name + ".position", s.position);
  }
  std::string prefix;

 private:
  std::vector<Field> &out_;
};

const char *rng_stream_name(uint32_t stream) {
  switch (static_cast<RngStream>(stream)) {
    case RngStream::init:
      return "init";
    case RngStream::shuffle:
      return "shuffle";
    case RngStream::dropout:
      return "dropout";
  }
  return nullptr;
}

const char *monitor_mode_name(MonitorMode mode) {
  switch (mode) {
    case MonitorMode::min:
      return "min";
    case MonitorMode::max:
      return "max";
    default:
      return "auto";
  }
}

// The configuration fields that matter for the layer's kind, as the kind describes them.
void layer_fields(FieldList &f, const LayerConfig &l) {
  struct Adapter final : ConfigFields {
    FieldList &f;
    explicit Adapter(FieldList &list) : f(list) {}
    void text(const std::string &name, const std::string &value) override { f.text(name, value); }
    void integer(const std::string &name, int64_t value) override { f.integer(name, value); }
    void boolean(const std::string &name, bool value) override { f.boolean(name, value); }
    void real(const std::string &name, double value) override { f.real(name, value); }
    void size2(const std::string &name, const Size2 &value) override { f.size2(name, value); }
  } adapter(f);
  f.text("kind", layer_kind_name(l.kind()));
  layer_kind_entry(l.kind()).spec->describe_fields(l, adapter);
}

// A graph node's name and inputs; a stack's nodes (unnamed, taking the previous) have none.
void link_fields(FieldList &f, const NodeLinks &links, size_t index) {
  if (!links.name.empty()) f.text("name", links.name);
  if (takes_previous(links, index)) return;
  std::string text;
  for (int32_t input : links.inputs) text += (text.empty() ? "" : ", ") + std::to_string(input);
  f.text("inputs", "[" + text + "]");
}

void optimizer_fields(FieldList &f, const Contents &c) {
  f.text("kind", c.has_optimizer ? optimizer_kind_name(c.optimizer.kind) : "none");
  if (!c.has_optimizer) return;
  const OptimizerConfig &o = c.optimizer;
  f.integer("step", c.optimizer_step());  // the largest of the per-parameter steps below
  f.real("lr", o.lr);
  f.real("weight_decay", o.weight_decay);
  f.boolean("maximize", o.maximize);
  if (o.kind == OptimizerKind::sgd) {
    f.real("momentum", o.momentum);
    f.real("dampening", o.dampening);
    f.boolean("nesterov", o.nesterov);
  } else {
    f.real("beta1", o.beta1);
    f.real("beta2", o.beta2);
    f.real("eps", o.eps);
    f.boolean("amsgrad", o.amsgrad);
  }
  // 1.3: listed only when the file has groups (so older files' fields stay as they were).
  for (size_t g = 0; g < o.groups.size(); ++g) {
    const ParamGroupConfig &group = o.groups[g];
    const std::string key = "groups[" + std::to_string(g) + "].";
    std::string patterns;
    for (const std::string &p : group.params) patterns += (patterns.empty() ? "" : ", ") + p;
    f.text(key + "params", "[" + patterns + "]");
    f.real(key + "lr", group.options.lr);
    f.real(key + "weight_decay", group.options.weight_decay);
    if (o.kind != OptimizerKind::sgd) {
      f.real(key + "beta1", group.options.beta1);
      f.real(key + "beta2", group.options.beta2);
      f.real(key + "eps", group.options.eps);
    }
  }
  for (const ParamStateInfo &p : c.param_states) {
    std::string states;
    for (size_t index : p.tensors) {
      if (index < c.tensors.size()) states += (states.empty() ? "" : ", ") + c.tensors[index].state;
    }
    f.integer("state[" + p.param + "].step", p.step);
    f.text("state[" + p.param + "].tensors", "[" + states + "]");
  }
}

void scheduler_fields(FieldList &f, const Contents &c) {
  f.text("kind", c.has_scheduler ? scheduler_kind_name(c.scheduler.kind) : "none");
  if (!c.has_scheduler) return;
  const SchedulerConfig &s = c.scheduler;
  f.boolean("per_batch", s.per_batch);
  switch (s.kind) {
    case SchedulerKind::step:
      f.integer("step_size", s.step_size);
      f.real("gamma", s.gamma);
      break;
    case SchedulerKind::multi_step: {
      std::string list;
      for (int64_t m : s.milestones) list += (list.empty() ? "" : ", ") + std::to_string(m);
      f.text("milestones", "[" + list + "]");
      f.real("gamma", s.gamma);
      break;
    }
    case SchedulerKind::exponential:
      f.real("gamma", s.gamma);
      break;
    case SchedulerKind::cosine_annealing:
      f.integer("t_max", s.t_max);
      f.real("eta_min", s.eta_min);
      break;
    case SchedulerKind::linear:
      f.real("start_factor", s.start_factor);
      f.real("end_factor", s.end_factor);
      f.integer("total_iters", s.total_iters);
      break;
    case SchedulerKind::reduce_on_plateau:
      f.text("monitor", c.scheduler_monitor);
      f.text("mode", s.mode == PlateauMode::max ? "max" : "min");
      f.real("factor", s.factor);
      f.integer("patience", s.patience);
      f.real("threshold", s.threshold);
      f.text("threshold_mode", s.threshold_mode == ThresholdMode::abs ? "abs" : "rel");
      f.integer("cooldown", s.cooldown);
      f.real("min_lr", s.min_lr);
      f.real("eps", s.eps);
      break;
    default:
      break;
  }
  const SchedulerState &st = c.scheduler_state;
  f.integer("state.last_epoch", st.last_epoch);
  f.real("state.base_lr", st.base_lr);
  for (size_t g = 0; g < st.group_base_lrs.size(); ++g) {  // 1.3
    f.real("state.group_base_lr[" + std::to_string(g) + "]", st.group_base_lrs[g]);
  }
  for (size_t g = 0; g < s.group_min_lr.size(); ++g) {
    f.real("group_min_lr[" + std::to_string(g) + "]", s.group_min_lr[g]);
  }
  if (s.kind == SchedulerKind::reduce_on_plateau) {
    f.real("state.best", st.best);
    f.integer("state.num_bad_epochs", st.num_bad_epochs);
    f.integer("state.cooldown_counter", st.cooldown_counter);
  }
}

void early_stopping_fields(FieldList &f, const Contents &c) {
  f.boolean("enabled", c.has_early_stopping);
  if (!c.has_early_stopping) return;
  const EarlyStoppingConfig &e = c.early_stopping;
  f.text("monitor", e.monitor);
  f.text("mode", monitor_mode_name(e.mode));
  f.real("min_delta", e.min_delta);
  f.integer("patience", e.patience);
  f.text("baseline", e.has_baseline ? exact_text(e.baseline) : "none");
  f.boolean("restore_best_weights", e.restore_best_weights);
  f.integer("start_from_epoch", e.start_from_epoch);
  const EarlyStoppingState &st = c.early_stopping_state;
  f.real("state.best", st.best);
  f.integer("state.best_epoch", st.best_epoch);
  f.integer("state.wait", st.wait);
  f.integer("state.stopped_epoch", st.stopped_epoch);
  size_t best_weights = 0;
  for (const TensorEntry &t : c.tensors) best_weights += t.role == Role::best_weight ? 1 : 0;
  f.integer("state.best_weights", static_cast<int64_t>(best_weights));  // tensors compared apart
}

// 1.2: clipping, accumulation and rollback, under the trainer's prefix.
void protection_fields(FieldList &f, const Contents &c) {
  const TrainerState &t = c.trainer;
  f.real("clip.grad_norm", c.trainer_clip.max_norm);
  f.real("clip.norm_type", c.trainer_clip.norm_type);
  f.boolean("clip.error_if_nonfinite", c.trainer_clip.error_if_nonfinite);
  f.real("clip.grad_value", c.trainer_clip.clip_value);
  f.integer("accumulate_steps", c.trainer_accumulate_steps);
  f.integer("deterministic_chunk_size", c.trainer_deterministic_chunk_size);
  f.integer("micro_in_group", t.micro_in_group);
  f.integer("optimizer_steps", t.optimizer_steps);
  f.integer("epoch_partial.skipped", t.epoch_skipped);
  const RollbackConfig &k = c.trainer_rollback;
  f.boolean("rollback.present", k.enabled);
  if (!k.enabled) return;
  f.integer("rollback.max_rollbacks", k.max_rollbacks);
  f.real("rollback.lr_factor", k.lr_factor);
  f.integer("rollback.skip_batches", k.skip_batches);
  f.integer("rollback.snapshot_every", k.snapshot_every);
  f.real("rollback.spike_factor", k.spike_factor);
  f.integer("rollback.skip_remaining", t.skip_remaining);
  f.real("rollback.loss_average", t.loss_average);
  f.integer("rollback.loss_count", t.loss_count);
  f.integer("rollback.snapshot_step", t.snapshot_step);
  for (size_t i = 0; i < c.rollback_snapshot_steps.size(); ++i) {
    f.integer("rollback.snapshot_steps[" + std::to_string(i) + "]", c.rollback_snapshot_steps[i]);
  }
  f.boolean("rollback.diverged", t.diverged);
  f.integer("rollback.events", static_cast<int64_t>(t.rollbacks.size()));
  for (size_t i = 0; i < t.rollbacks.size(); ++i) {
    const RollbackEvent &e = t.rollbacks[i];
    const std::string p = "rollback.events[" + std::to_string(i) + "].";
    f.integer(p + "epoch", e.epoch);
    f.integer(p + "batch", e.batch);
    f.integer(p + "global_step", e.global_step);
    f.integer(p + "restored_step", e.restored_step);
    f.real(p + "loss", e.loss);
    f.real(p + "lr", e.lr);
    f.text(p + "reason", divergence_reason_name(e.reason));
    f.boolean(p + "gave_up", e.gave_up);
  }
}

void trainer_fields(FieldList &f, const Contents &c) {
  f.boolean("present", c.has_trainer);
  if (!c.has_trainer) return;
  f.integer("epochs", c.trainer_epochs);
  f.integer("batch_size", c.trainer_batch_size);
  f.boolean("shuffle", c.trainer_shuffle);
  f.boolean("drop_last", c.trainer_drop_last);
  const TrainerState &t = c.trainer;
  f.integer("position.epoch", t.epoch);
  f.integer("position.global_step", t.global_step);
  f.integer("position.batch_in_epoch", t.batch_in_epoch);
  f.rng("epoch_shuffle_rng", t.epoch_shuffle_rng);
  f.real("epoch_partial.loss_sum", t.epoch_loss_sum);
  f.integer("epoch_partial.samples", t.epoch_samples);
  f.integer("epoch_partial.correct", t.epoch_correct);
  f.integer("epoch_partial.judged", t.epoch_judged);
  f.real("epoch_partial.seconds", t.epoch_seconds, true);
  f.boolean("stopped_early", t.stopped_early);
  protection_fields(f, c);
  f.integer("history.rows", static_cast<int64_t>(t.history.size()));
  const std::string base = f.prefix;
  for (size_t i = 0; i < t.history.size(); ++i) {
    const HistoryRow &h = t.history[i];
    f.prefix = base + "history[" + std::to_string(i) + "].";
    f.integer("epoch", h.epoch);
    f.real("loss", h.loss);
    f.real("accuracy", h.accuracy);
    f.real("val_loss", h.val_loss);
    f.real("val_accuracy", h.val_accuracy);
    f.real("lr", h.lr);
    f.real("seconds", h.seconds, true);
  }
  f.prefix = base;
}

}  // namespace

std::vector<Field> describe_fields(const Contents &c) {
  std::vector<Field> out;
  FieldList f(out);
  f.text("format", std::to_string(c.format_major) + "." + std::to_string(c.format_minor));
  f.text("writer_version", c.writer_version);
  f.integer("created_unix_ns", c.created_unix_ns);
  out.back().wall_clock = true;
  f.prefix = "environment.";
  f.text("blas_core_type", c.environment.blas_core_type);
  f.integer("blas_threads", c.environment.blas_threads);
  f.text("blas_config", c.environment.blas_config);
  f.text("compiler", c.environment.compiler);
  f.text("cpu_arch", c.environment.cpu_arch);
  f.prefix = "architecture.";
  f.unsigned_integer("seed", c.seed);
  f.text("sample_input_shape", c.sample_input_shape.to_string());
  f.integer("layers", static_cast<int64_t>(c.layers.size()));
  if (!c.frozen.empty()) {  // 1.3
    std::string names;
    for (const std::string &n : c.frozen) names += (names.empty() ? "" : ", ") + n;
    f.text("frozen", "[" + names + "]");
    f.boolean("frozen_batchnorm_eval", c.frozen_batchnorm_eval);
  }
  for (size_t i = 0; i < c.layers.size(); ++i) {
    f.prefix = "architecture.layers[" + std::to_string(i) + "].";
    layer_fields(f, c.layers[i]);
    link_fields(f, node_links(c, i), i);
  }
  f.prefix = "";
  f.text("loss", c.loss ? loss_kind_name(static_cast<LossKind>(c.loss)) : "none");
  f.prefix = "optimizer.";
  optimizer_fields(f, c);
  f.prefix = "";
  for (const RngState &s : c.rng) {
    const char *stream = rng_stream_name(s.stream);
    f.rng(std::string("rng[") + (stream ? stream : std::to_string(s.stream).c_str()) + "]", s);
  }
  f.prefix = "scheduler.";
  scheduler_fields(f, c);
  f.prefix = "early_stopping.";
  early_stopping_fields(f, c);
  f.prefix = "trainer.";
  trainer_fields(f, c);
  return out;
}

}  // namespace nnstate::checkpoint
