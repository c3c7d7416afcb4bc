// Reading untrusted bytes, in the order of DESIGN.md: header (magic, version, CRC, layout) →
// manifest CRC → FlatBuffers Verifier over exactly the manifest, in aligned memory → semantic
// checks. Nothing is allocated from a number before it has been bounded by the file size.
#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <new>
#include <set>

#include "checkpoint/architecture.h"
#include "checkpoint/container.h"
#include "checkpoint/crc32c.h"
#include "checkpoint/data.h"
#include "checkpoint/reader.h"
#include "checkpoint/training_ranges.h"
#include "checkpoint_generated.h"
#include "layers/layer_spec.h"
#include "layers/registry.h"
#include "optim/param_groups.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

namespace fbs = ::nnstate::fb;

// FlatBuffers 2.0.8's Verifier checks only 4-byte alignment of vectors, so a crafted manifest
// can place an [int64] vector at an address 4 mod 8: its elements are copied, never loaded in
// place.
int64_t element(const flatbuffers::Vector<int64_t> *v, uint32_t i) {
  int64_t value;
  std::memcpy(&value, v->Data() + size_t{i} * sizeof value, sizeof value);
  return value;
}

class Checker {
 public:
  Checker(const std::string &file, const Header &header) : file_(file), header_(header) {}
  Contents run(const fbs::Manifest &m);

 private:
  [[noreturn]] void bad(const std::string &field, const std::string &what) const {
    fail(NNSTATE_ERR_CORRUPT, describe_file(file_) + ": manifest " + field + ": " + what);
  }
  std::string str(const flatbuffers::String *s, const std::string &field, bool required) const;
  Shape shape(const flatbuffers::Vector<int64_t> *dims, const std::string &field,
              bool positive) const;
  TensorEntry tensor(const fbs::TensorRef *ref, const std::string &field, Role role) const;
  void add_tensor(Contents &c, TensorEntry entry, const std::string &field);
  Size2 size2(const fbs::Size2 *s, const std::string &field) const;
  class LayerTableReader;
  LayerConfig layer(const fbs::Layer *layer, const std::string &field) const;
  static NodeLinks links(const fbs::Layer *layer, uint32_t index);
  void architecture(const fbs::Architecture *arch, Contents &c);
  void optimizer(const fbs::Optimizer *o, Contents &c);
  void frozen(const fbs::Architecture *arch, Contents &c);
  void param_groups(const fbs::Optimizer *o, Contents &c) const;
  void rng_list(const flatbuffers::Vector<flatbuffers::Offset<fbs::RngState>> *list,
                const std::string &field, std::vector<RngState> *out) const;
  void training_loop_tables(const fbs::Manifest &m, Contents &c);
  void scheduler_groups(const fbs::Scheduler &s, Contents &c) const;
  void trainer_protection(const fbs::Trainer &t, Contents &c);
  void rollback_table(const fbs::Rollback &r, Contents &c);
  // Tensors of `role` listed under the names of the tensors they copy (`owners`: name -> shape),
  // stored as prefix + owner. With `complete`, every owner must be listed.
  void owned_tensors(const flatbuffers::Vector<flatbuffers::Offset<fbs::TensorRef>> *refs,
                     const std::string &field, Role role, const std::string &prefix,
                     const std::map<std::string, Shape> &owners, bool complete, Contents &c);
  void no_overlap(const Contents &c) const;

  const std::string &file_;
  const Header &header_;
  std::set<std::string> names_;
  Shape sample_output_;  // of the architecture, rank 0 when no layer fixes the input
};

std::string Checker::str(const flatbuffers::String *s, const std::string &field,
                         bool required) const {
  if (!s) {
    if (required) bad(field, "missing");
    return std::string();
  }
  return std::string(s->c_str(), s->size());
}

Shape Checker::shape(const flatbuffers::Vector<int64_t> *dims, const std::string &field,
                     bool positive) const {
  if (!dims) bad(field, "missing");
  if (dims->size() > static_cast<uint32_t>(Shape::kMaxRank)) {
    bad(field, "rank " + std::to_string(dims->size()) + " exceeds 4");
  }
  Shape s;
  s.rank = static_cast<int32_t>(dims->size());
  for (uint32_t i = 0; i < dims->size(); ++i) {
    const int64_t d = element(dims, i);
    if (d < 0 || (positive && d == 0)) {
      bad(field, "dimension " + std::to_string(i) + " is " + std::to_string(d));
    }
    s.dims[i] = d;
  }
  return s;
}

TensorEntry Checker::tensor(const fbs::TensorRef *ref, const std::string &field, Role role) const {
  TensorEntry e;
  e.name = str(ref->name(), field + ".name", true);
  const std::string f = field + " (\"" + e.name + "\")";
  if (e.name.empty()) bad(field + ".name", "empty");
  if (ref->dtype() != fbs::DType::float32) {
    bad(f + ".dtype", std::to_string(static_cast<int>(ref->dtype())) + " is not float32 (0)");
  }
  if (static_cast<int32_t>(ref->role()) != static_cast<int32_t>(role) &&
      !(role == Role::parameter && ref->role() == fbs::TensorRole::buffer)) {
    bad(f + ".role", std::to_string(static_cast<int>(ref->role())) + " does not belong here");
  }
  e.role = static_cast<Role>(ref->role());
  e.shape = shape(ref->shape(), f + ".shape", false);
  uint64_t bytes = sizeof(float);
  for (int i = 0; i < e.shape.rank; ++i) {
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(e.shape.dims[i]), &bytes)) {
      bad(f + ".shape", e.shape.to_string() + " overflows 64 bits");
    }
  }
  e.byte_length = ref->byte_length();
  if (bytes != e.byte_length) {
    bad(f + ".byte_length", std::to_string(e.byte_length) + " != 4 * numel of " +
                                e.shape.to_string() + " = " + std::to_string(bytes));
  }
  e.offset = ref->offset();
  if (e.offset % kAlignment != 0) {
    bad(f + ".offset", std::to_string(e.offset) + " is not a multiple of 64");
  }
  if (e.offset > header_.data_length || e.byte_length > header_.data_length - e.offset) {
    bad(f + ".offset", "[" + std::to_string(e.offset) + ", +" + std::to_string(e.byte_length) +
                           ") exceeds the data section of " + std::to_string(header_.data_length) +
                           " bytes");
  }
  e.crc32c = ref->crc32c();
  return e;
}

void Checker::add_tensor(Contents &c, TensorEntry entry, const std::string &field) {
  if (!names_.insert(entry.name).second) bad(field, "tensor \"" + entry.name + "\" appears twice");
  c.tensors.push_back(std::move(entry));
}

Size2 Checker::size2(const fbs::Size2 *s, const std::string &field) const {
  if (!s) bad(field, "missing");
  Size2 out;
  out.h = s->h();
  out.w = s->w();
  return out;
}

// The checks a kind's decode asks for, naming the file and the field within the layer's table.
class Checker::LayerTableReader final : public TableReader {
 public:
  LayerTableReader(const Checker &checker, const std::string &field)
      : checker_(checker), field_(field) {}
  Size2 size2(const fbs::Size2 *value, const char *field) const override {
    return checker_.size2(value, field_ + "." + field);
  }
  Shape shape(const flatbuffers::Vector<int64_t> *dims, const char *field,
              bool positive) const override {
    return checker_.shape(dims, field_ + "." + field, positive);
  }

 private:
  const Checker &checker_;
  const std::string &field_;
};

LayerConfig Checker::layer(const fbs::Layer *l, const std::string &field) const {
  using T = fbs::LayerConfig;
  const T type = l->config_type();
  if (type == T::NONE || static_cast<uint32_t>(type) > static_cast<uint32_t>(T::MAX)) {
    bad(field + ".config_type",
        "layer kind " + std::to_string(static_cast<int>(type)) + " is unknown");
  }
  if (!l->config()) bad(field + ".config", "missing");
  // Union type numbers equal LayerKind values by construction of the schema.
  const LayerKind kind = static_cast<LayerKind>(static_cast<int32_t>(type));
  LayerConfig c(kind);
  layer_kind_entry(kind).spec->decode_table(l->config(), LayerTableReader(*this, field), c);
  return c;
}

// Absent fields (every 1.0 file) mean a stack: unnamed, taking the previous node. The vector's
// size is bounded by the Verifier; check_graph checks the values.
NodeLinks Checker::links(const fbs::Layer *l, uint32_t index) {
  NodeLinks links;
  if (l->name()) links.name = l->name()->str();
  if (l->inputs()) {
    links.inputs.assign(l->inputs()->begin(), l->inputs()->end());
  } else {
    links.inputs = {static_cast<int32_t>(index) - 1};
  }
  return links;
}

void Checker::architecture(const fbs::Architecture *arch, Contents &c) {
  if (!arch) bad("architecture", "missing");
  if (!arch->layers()) bad("architecture.layers", "missing");
  if (arch->sample_input_shape() && arch->sample_input_shape()->size() > 0) {
    c.sample_input_shape =
        shape(arch->sample_input_shape(), "architecture.sample_input_shape", true);
  }
  const int32_t loss = static_cast<int32_t>(arch->loss());
  if (loss < 0 || loss > 3) bad("architecture.loss", std::to_string(loss) + " is unknown");
  c.loss = loss;
  c.seed = arch->seed();

  std::vector<ExpectedTensor> expected;
  c.layers.reserve(arch->layers()->size());  // bounded by the Verifier's table count
  bool graph = false;  // whether a node has a name or inputs: else c.links stays empty
  for (uint32_t i = 0; i < arch->layers()->size(); ++i) {
    const std::string field = "architecture.layers[" + std::to_string(i) + "]";
    const fbs::Layer *node = arch->layers()->Get(i);
    c.layers.push_back(layer(node, field));
    if ((node->name() || node->inputs()) && !graph) {
      graph = true;
      c.links = stack_links(i);  // the nodes before were a stack's
    }
    if (graph) c.links.push_back(links(node, i));
    const std::string key =
        !graph || c.links.back().name.empty() ? std::to_string(i) : c.links.back().name;
    for (ExpectedTensor &t :
         expected_tensors(c.layers.back(), key, describe_file(file_) + ": manifest " + field,
                          header_.data_length)) {
      expected.push_back(std::move(t));
    }
  }
  sample_output_ =
      check_graph(c.layers, c.links, c.sample_input_shape,
                  describe_file(file_) + ": manifest architecture", header_.data_length);
  // The tensors must be exactly those the layers define.
  std::map<std::string, const TensorEntry *> by_name;
  for (const TensorEntry &e : c.tensors) by_name[e.name] = &e;
  for (const ExpectedTensor &t : expected) {
    auto it = by_name.find(t.name);
    if (it == by_name.end()) {
      bad("tensors", "the architecture defines \"" + t.name + "\" " + t.shape.to_string() +
                         " but the file has no such tensor");
    }
    const TensorEntry &e = *it->second;
    if (e.shape != t.shape || static_cast<int32_t>(e.role) != static_cast<int32_t>(t.role)) {
      bad("tensors", "\"" + t.name + "\" is " + e.shape.to_string() + " role " +
                         std::to_string(static_cast<int>(e.role)) +
                         " but the architecture defines " + t.shape.to_string() + " role " +
                         std::to_string(static_cast<int>(t.role)));
    }
    by_name.erase(it);
  }
  if (!by_name.empty()) {
    bad("tensors", "\"" + by_name.begin()->first + "\" belongs to no layer of the architecture");
  }
  frozen(arch, c);
}

// 1.3: each frozen name a parameter of the file, once.
void Checker::frozen(const fbs::Architecture *arch, Contents &c) {
  c.frozen_batchnorm_eval = arch->frozen_batchnorm_eval();
  const auto *names = arch->frozen();
  if (!names) return;
  std::set<std::string> params;
  for (const TensorEntry &e : c.tensors) {
    if (e.role == Role::parameter) params.insert(e.name);
  }
  std::set<std::string> seen;
  for (uint32_t i = 0; i < names->size(); ++i) {
    const std::string field = "architecture.frozen[" + std::to_string(i) + "]";
    std::string name = str(names->Get(i), field, true);
    if (!params.count(name)) bad(field, "\"" + name + "\" is not a parameter of the architecture");
    if (!seen.insert(name).second) bad(field, "\"" + name + "\" is listed twice");
  }
  c.frozen.assign(seen.begin(), seen.end());
}

// 1.3: the optimizer's parameter groups, their patterns checked against the file's parameters.
void Checker::param_groups(const fbs::Optimizer *o, Contents &c) const {
  const auto *groups = o->groups();
  if (!groups) return;
  for (uint32_t i = 0; i < groups->size(); ++i) {
    const fbs::ParamGroup *g = groups->Get(i);
    const std::string field = "optimizer.groups[" + std::to_string(i) + "]";
    ParamGroupConfig group;
    if (!g->params()) bad(field + ".params", "missing");
    for (uint32_t j = 0; j < g->params()->size(); ++j) {
      group.params.push_back(
          str(g->params()->Get(j), field + ".params[" + std::to_string(j) + "]", true));
    }
    group.options = {g->lr(), g->beta1(), g->beta2(), g->eps(), g->weight_decay()};
    for (double v : {g->lr(), g->beta1(), g->beta2(), g->eps(), g->weight_decay()}) {
      if (v != v) bad(field, "an option is NaN");  // NaN would mean "the default's"
    }
    c.optimizer.groups.push_back(std::move(group));
  }
}

void Checker::optimizer(const fbs::Optimizer *o, Contents &c) {
  if (!o) return;
  const int32_t kind = static_cast<int32_t>(o->kind());
  if (kind < 1 || kind > 3) bad("optimizer.kind", std::to_string(kind) + " is unknown");
  OptimizerConfig &cfg = c.optimizer;
  cfg.kind = static_cast<OptimizerKind>(kind);
  cfg.lr = o->lr();
  cfg.beta1 = o->beta1();
  cfg.beta2 = o->beta2();
  cfg.eps = o->eps();
  cfg.weight_decay = o->weight_decay();
  cfg.amsgrad = o->amsgrad();
  cfg.maximize = o->maximize();
  cfg.momentum = o->momentum();
  cfg.dampening = o->dampening();
  cfg.nesterov = o->nesterov();
  param_groups(o, c);
  try {
    validate_optimizer_config(cfg);
  } catch (const Error &e) {
    bad("optimizer", e.what());
  }
  c.has_optimizer = true;

  std::vector<std::string> required;
  if (cfg.kind == OptimizerKind::sgd) {
    if (cfg.momentum != 0.0) required = {"momentum_buffer"};
  } else {
    required = {"exp_avg", "exp_avg_sq"};
    if (cfg.amsgrad) required.push_back("max_exp_avg_sq");
  }

  // Frozen parameters have no state; the groups must fit the parameters (as Model checks).
  std::map<std::string, Shape> params;
  std::vector<std::string> all;
  for (const TensorEntry &e : c.tensors) {
    if (e.role != Role::parameter) continue;
    all.push_back(e.name);
    if (!std::binary_search(c.frozen.begin(), c.frozen.end(), e.name)) params[e.name] = e.shape;
  }
  try {
    for (size_t g = 0; g < cfg.groups.size(); ++g) {
      check_patterns_match(cfg.groups[g].params, all, "param group " + std::to_string(g));
    }
    std::vector<std::string> trainable;
    for (const auto &p : params) trainable.push_back(p.first);
    assign_param_groups(cfg.groups, trainable);
  } catch (const Error &e) {
    bad("optimizer.groups", e.what());
  }
  if (!o->params()) bad("optimizer.params", "missing");
  std::set<std::string> seen;
  for (uint32_t i = 0; i < o->params()->size(); ++i) {
    const fbs::ParamState *p = o->params()->Get(i);
    const std::string field = "optimizer.params[" + std::to_string(i) + "]";
    ParamStateInfo info;
    info.param = str(p->param(), field + ".param", true);
    auto param = params.find(info.param);
    if (param == params.end()) {
      const bool frozen = std::binary_search(c.frozen.begin(), c.frozen.end(), info.param);
      bad(field + ".param",
          "state for \"" + info.param + "\", which is " + (frozen ? "frozen" : "not a parameter"));
    }
    if (!seen.insert(info.param).second) {
      bad(field + ".param", "\"" + info.param + "\" has state twice");
    }
    info.step = p->step();
    if (info.step < 0) bad(field + ".step", std::to_string(info.step) + " is negative");
    if (!p->tensors()) bad(field + ".tensors", "missing");
    std::set<std::string> states;
    for (uint32_t j = 0; j < p->tensors()->size(); ++j) {
      const std::string tfield = field + ".tensors[" + std::to_string(j) + "]";
      TensorEntry e = tensor(p->tensors()->Get(j), tfield, Role::optimizer);
      if (std::find(required.begin(), required.end(), e.name) == required.end()) {
        bad(tfield, std::string("\"") + e.name + "\" is not a state of " +
                        optimizer_kind_name(cfg.kind) + " with these options");
      }
      if (e.shape != param->second) {
        bad(tfield, "\"" + e.name + "\" is " + e.shape.to_string() + " but \"" + info.param +
                        "\" is " + param->second.to_string());
      }
      states.insert(e.name);
      e.owner = info.param;
      e.state = e.name;
      e.name = "optimizer." + info.param + "." + e.state;
      info.tensors.push_back(c.tensors.size());
      add_tensor(c, std::move(e), tfield);
    }
    if (states.size() != required.size()) {
      bad(field + ".tensors", "\"" + info.param + "\" has " + std::to_string(states.size()) +
                                  " state tensors, " + optimizer_kind_name(cfg.kind) + " needs " +
                                  std::to_string(required.size()));
    }
    c.param_states.push_back(std::move(info));
  }
  if (seen.size() != params.size()) {
    for (const auto &p : params) {
      if (!seen.count(p.first))
        bad("optimizer.params", "no state for parameter \"" + p.first + "\"");
    }
  }
}

void Checker::rng_list(const flatbuffers::Vector<flatbuffers::Offset<fbs::RngState>> *list,
                       const std::string &field, std::vector<RngState> *out) const {
  if (!list) return;
  std::set<uint32_t> streams;
  for (uint32_t i = 0; i < list->size(); ++i) {
    const fbs::RngState *r = list->Get(i);
    const std::string f = field + "[" + std::to_string(i) + "]";
    RngState s;
    s.seed = r->seed();
    s.stream = r->stream();
    s.block = r->block();
    s.position = r->position();
    if (s.stream > static_cast<uint32_t>(RngStream::dropout)) {
      bad(f + ".stream", std::to_string(s.stream) + " is unknown");
    }
    if (!streams.insert(s.stream).second) bad(f + ".stream", std::to_string(s.stream) + " twice");
    if (!Rng::valid(s)) {
      bad(f, "position " + std::to_string(s.position) + " with block " + std::to_string(s.block) +
                 " is not a valid generator state");
    }
    if (out) out->push_back(s);
  }
}

// 1.3: one base rate (and optionally one min_lr) per parameter group of the optimizer; the
// sizes are checked before anything is copied. training_ranges checks the values.
void Checker::scheduler_groups(const fbs::Scheduler &s, Contents &c) const {
  const size_t groups = c.has_optimizer ? c.optimizer.groups.size() : 0;
  auto read = [&](const flatbuffers::Vector<double> *v, const char *field, bool optional,
                  std::vector<double> &out) {
    const size_t n = v ? v->size() : 0;
    if (n != groups && !(optional && n == 0)) {
      bad(std::string("scheduler.") + field,
          std::to_string(n) + " values for " + std::to_string(groups) + " param groups");
    }
    for (size_t i = 0; i < n; ++i) out.push_back(v->Get(static_cast<uint32_t>(i)));
  };
  read(s.group_base_lr(), "group_base_lr", false, c.scheduler_state.group_base_lrs);
  read(s.group_min_lr(), "group_min_lr", true, c.scheduler.group_min_lr);
}

// Scheduler, early stopping and trainer: validated now, turned into state by a later issue.
void Checker::training_loop_tables(const fbs::Manifest &m, Contents &c) {
  if (const fbs::Scheduler *s = m.scheduler()) {
    c.has_scheduler = true;
    const int32_t kind = static_cast<int32_t>(s->kind());
    if (kind < 0 || kind > 6) bad("scheduler.kind", std::to_string(kind) + " is unknown");
    if (static_cast<uint32_t>(s->mode()) > 1) bad("scheduler.mode", "unknown mode");
    if (static_cast<uint32_t>(s->threshold_mode()) > 1) {
      bad("scheduler.threshold_mode", "unknown mode");
    }
    SchedulerConfig &k = c.scheduler;
    k.kind = static_cast<SchedulerKind>(kind);
    k.per_batch = s->per_batch();
    k.step_size = s->step_size();
    k.gamma = s->gamma();
    if (const auto *milestones = s->milestones()) {
      for (uint32_t i = 0; i < milestones->size(); ++i) {
        k.milestones.push_back(element(milestones, i));
      }
    }
    k.t_max = s->t_max();
    k.eta_min = s->eta_min();
    k.start_factor = s->start_factor();
    k.end_factor = s->end_factor();
    k.total_iters = s->total_iters();
    k.mode = static_cast<PlateauMode>(s->mode());
    k.factor = s->factor();
    k.patience = s->patience();
    k.threshold = s->threshold();
    k.threshold_mode = static_cast<ThresholdMode>(s->threshold_mode());
    k.cooldown = s->cooldown();
    k.min_lr = s->min_lr();
    k.eps = s->eps();
    scheduler_groups(*s, c);
    c.scheduler_monitor = str(s->monitor(), "scheduler.monitor", false);
    try {
      validate_scheduler_config(k);
    } catch (const Error &e) {
      bad("scheduler", e.what());
    }
    c.scheduler_state.last_epoch = s->last_epoch();
    c.scheduler_state.base_lr = s->base_lr();
    c.scheduler_state.best = s->best();
    c.scheduler_state.num_bad_epochs = s->num_bad_epochs();
    c.scheduler_state.cooldown_counter = s->cooldown_counter();
  }
  if (const fbs::EarlyStopping *e = m.early_stopping()) {
    c.has_early_stopping = true;
    if (static_cast<uint32_t>(e->mode()) > 2) bad("early_stopping.mode", "unknown mode");
    EarlyStoppingConfig &k = c.early_stopping;
    k.monitor = str(e->monitor(), "early_stopping.monitor", true);
    k.mode = static_cast<MonitorMode>(e->mode());
    k.min_delta = e->min_delta();
    k.patience = e->patience();
    k.has_baseline = e->has_baseline();
    k.baseline = e->baseline();
    k.restore_best_weights = e->restore_best_weights();
    k.start_from_epoch = e->start_from_epoch();
    try {
      EarlyStopping check(k);
    } catch (const Error &error) {
      bad("early_stopping", error.what());
    }
    EarlyStoppingState &st = c.early_stopping_state;
    st.best = e->best();
    st.best_epoch = e->best_epoch();
    st.wait = e->wait();
    st.stopped_epoch = e->stopped_epoch();
    if (e->best_weights()) {
      std::map<std::string, Shape> network;
      for (const TensorEntry &t : c.tensors) {
        if (t.role == Role::parameter || t.role == Role::buffer) network[t.name] = t.shape;
      }
      for (uint32_t i = 0; i < e->best_weights()->size(); ++i) {
        const std::string field = "early_stopping.best_weights[" + std::to_string(i) + "]";
        TensorEntry t = tensor(e->best_weights()->Get(i), field, Role::best_weight);
        auto it = network.find(t.name);
        if (it == network.end() || it->second != t.shape) {
          bad(field, "\"" + t.name + "\" " + t.shape.to_string() +
                         " is not a tensor of the network with that shape");
        }
        t.owner = t.name;
        t.name = "early_stopping.best." + t.owner;
        add_tensor(c, std::move(t), field);
      }
    }
  }
  if (const fbs::Trainer *t = m.trainer()) {
    c.has_trainer = true;
    if (t->epoch() < 0 || t->global_step() < 0 || t->batch_in_epoch() < 0 || t->epochs() < 0 ||
        t->batch_size() < 0 || t->epoch_samples() < 0 || t->epoch_correct() < 0 ||
        t->epoch_judged() < 0) {
      bad("trainer", "negative counter");
    }
    c.trainer_epochs = t->epochs();
    c.trainer_batch_size = t->batch_size();
    c.trainer_shuffle = t->shuffle();
    c.trainer_drop_last = t->drop_last();
    TrainerState &st = c.trainer;
    st.epoch = t->epoch();
    st.global_step = t->global_step();
    st.batch_in_epoch = t->batch_in_epoch();
    st.epoch_loss_sum = t->epoch_loss_sum();
    st.epoch_samples = t->epoch_samples();
    st.epoch_correct = t->epoch_correct();
    st.epoch_judged = t->epoch_judged();
    st.epoch_seconds = t->epoch_seconds();
    st.stopped_early = t->stopped_early();
    if (const fbs::RngState *r = t->epoch_shuffle_rng()) {
      RngState s;
      s.seed = r->seed();
      s.stream = r->stream();
      s.block = r->block();
      s.position = r->position();
      if (!Rng::valid(s)) bad("trainer.epoch_shuffle_rng", "not a valid generator state");
      st.epoch_shuffle_rng = s;
    } else {
      bad("trainer.epoch_shuffle_rng", "missing");
    }
    if (const auto *history = t->history()) {
      if (history->size() != static_cast<uint64_t>(st.epoch)) {
        bad("trainer.history", std::to_string(history->size()) + " rows for " +
                                   std::to_string(st.epoch) + " completed epochs");
      }
      for (uint32_t i = 0; i < history->size(); ++i) {
        const fbs::EpochMetrics *row = history->Get(i);
        HistoryRow h;
        h.epoch = row->epoch();
        if (row->metrics()) {
          for (const fbs::Metric *metric : *row->metrics()) {
            const std::string name = str(metric->name(), "trainer.history.metrics.name", true);
            if (name == "seconds") {
              h.seconds = metric->value();
            } else if (is_history_metric(name)) {
              history_field(h, name) = metric->value();
            }
          }
        }
        st.history.push_back(h);
      }
    } else if (st.epoch > 0) {
      bad("trainer.history", "missing for " + std::to_string(st.epoch) + " completed epochs");
    }
    rng_list(t->rng(), "trainer.rng", nullptr);
    trainer_protection(*t, c);
  }
}

void Checker::owned_tensors(const flatbuffers::Vector<flatbuffers::Offset<fbs::TensorRef>> *refs,
                            const std::string &field, Role role, const std::string &prefix,
                            const std::map<std::string, Shape> &owners, bool complete,
                            Contents &c) {
  const uint32_t count = refs ? refs->size() : 0;
  if (complete && count != owners.size()) {
    bad(field, std::to_string(count) + " tensors, expected one for each of the " +
                   std::to_string(owners.size()) + " it copies");
  }
  for (uint32_t i = 0; i < count; ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    TensorEntry t = tensor(refs->Get(i), f, role);
    auto it = owners.find(t.name);
    if (it == owners.end() || it->second != t.shape) {
      bad(f, "\"" + t.name + "\" " + t.shape.to_string() + " is not a tensor it may copy");
    }
    t.owner = t.name;
    t.name = prefix + t.owner;
    add_tensor(c, std::move(t), f);  // unique names: complete lists cover every owner once
  }
}

// 1.2: clipping, accumulation and rollback (absent fields keep the defaults of older files).
void Checker::trainer_protection(const fbs::Trainer &t, Contents &c) {
  GradClipConfig &clip = c.trainer_clip;
  clip.max_norm = t.clip_grad_norm();
  clip.norm_type = t.clip_norm_type();
  clip.error_if_nonfinite = t.clip_error_if_nonfinite();
  clip.clip_value = t.clip_grad_value();
  try {
    validate_grad_clip_config(clip);
  } catch (const Error &e) {
    bad("trainer.clip", e.what());
  }
  c.trainer_accumulate_steps = t.accumulate_steps();
  c.trainer_deterministic_chunk_size = t.deterministic_chunk_size();
  TrainerState &st = c.trainer;
  st.micro_in_group = t.micro_in_group();
  st.optimizer_steps = t.optimizer_steps();
  st.epoch_skipped = t.epoch_skipped();
  std::map<std::string, Shape> params;
  for (const TensorEntry &e : c.tensors) {
    if (e.role == Role::parameter) params[e.name] = e.shape;
  }
  // The sums exist exactly while a group is unfinished (the counters' ranges are checked with
  // the position's, in training_ranges).
  if (st.micro_in_group > 0) {
    owned_tensors(t.grad_accumulation(), "trainer.grad_accumulation", Role::grad_accumulation,
                  "trainer.grad_accumulation.", params, true, c);
  } else if (t.grad_accumulation() && t.grad_accumulation()->size() > 0) {
    bad("trainer.grad_accumulation", "sums without an unfinished group (micro_in_group 0)");
  }
  if (const fbs::Rollback *r = t.rollback()) rollback_table(*r, c);
}

void Checker::rollback_table(const fbs::Rollback &r, Contents &c) {
  RollbackConfig &k = c.trainer_rollback;
  k.enabled = true;
  k.max_rollbacks = r.max_rollbacks();
  k.lr_factor = r.lr_factor();
  k.skip_batches = r.skip_batches();
  k.snapshot_every = r.snapshot_every();
  k.spike_factor = r.spike_factor();
  try {
    validate_rollback_config(k);
  } catch (const Error &e) {
    bad("trainer.rollback", e.what());
  }
  TrainerState &st = c.trainer;
  st.skip_remaining = r.skip_remaining();
  st.loss_average = r.loss_average();
  st.loss_count = r.loss_count();
  st.snapshot_step = r.snapshot_step();
  st.diverged = r.diverged();
  if (const auto *events = r.events()) {
    for (uint32_t i = 0; i < events->size(); ++i) {
      const fbs::RollbackEvent *e = events->Get(i);
      const int32_t reason = static_cast<int32_t>(e->reason());
      if (reason < 0 || reason > 2) {
        bad("trainer.rollback.events[" + std::to_string(i) + "].reason",
            std::to_string(reason) + " is unknown");
      }
      RollbackEvent ev;
      ev.epoch = e->epoch();
      ev.batch = e->batch();
      ev.global_step = e->global_step();
      ev.restored_step = e->restored_step();
      ev.loss = e->loss();
      ev.lr = e->lr();
      ev.reason = static_cast<DivergenceReason>(reason);
      ev.gave_up = e->gave_up();
      st.rollbacks.push_back(ev);
    }
  }
  // The snapshot copies every network tensor and every optimizer state tensor, or is absent.
  std::map<std::string, Shape> owners;
  for (const TensorEntry &e : c.tensors) {
    if (e.role == Role::parameter || e.role == Role::buffer || e.role == Role::optimizer) {
      owners[e.name] = e.shape;
    }
  }
  const auto *steps = r.snapshot_steps();
  if (st.snapshot_step >= 0) {
    owned_tensors(r.snapshot(), "trainer.rollback.snapshot", Role::rollback_snapshot, "rollback.",
                  owners, true, c);
    const size_t count = steps ? steps->size() : 0;
    if (count != c.param_states.size()) {
      bad("trainer.rollback.snapshot_steps", std::to_string(count) + " steps for " +
                                                 std::to_string(c.param_states.size()) +
                                                 " optimizer parameters");
    }
    for (uint32_t i = 0; i < count; ++i) c.rollback_snapshot_steps.push_back(element(steps, i));
  } else if ((r.snapshot() && r.snapshot()->size() > 0) || (steps && steps->size() > 0)) {
    bad("trainer.rollback.snapshot",
        "present with snapshot_step " + std::to_string(st.snapshot_step));
  }
}

void Checker::no_overlap(const Contents &c) const {
  std::vector<const TensorEntry *> sorted;
  for (const TensorEntry &e : c.tensors) {
    if (e.byte_length > 0) sorted.push_back(&e);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorEntry *a, const TensorEntry *b) { return a->offset < b->offset; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    const TensorEntry &a = *sorted[i - 1], &b = *sorted[i];
    if (a.offset + a.byte_length > b.offset) {
      bad("tensors", "\"" + a.name + "\" [" + std::to_string(a.offset) + ", " +
                         std::to_string(a.offset + a.byte_length) + ") overlaps \"" + b.name +
                         "\" at " + std::to_string(b.offset));
    }
  }
}

Contents Checker::run(const fbs::Manifest &m) {
  Contents c;
  c.file = file_;
  c.data_length = header_.data_length;
  if (!m.format()) bad("format", "missing");
  c.format_major = m.format()->major();
  c.format_minor = m.format()->minor();
  if (c.format_major != header_.major || c.format_minor != header_.minor) {
    bad("format", std::to_string(c.format_major) + "." + std::to_string(c.format_minor) +
                      " disagrees with the header's " + std::to_string(header_.major) + "." +
                      std::to_string(header_.minor));
  }
  c.writer_version = str(m.writer_version(), "writer_version", true);
  c.created_unix_ns = m.created_unix_ns();
  if (const fbs::Environment *env = m.environment()) {
    c.environment.blas_core_type = str(env->blas_core_type(), "environment", false);
    c.environment.blas_threads = env->blas_threads();
    c.environment.blas_config = str(env->blas_config(), "environment", false);
    c.environment.compiler = str(env->compiler(), "environment", false);
    c.environment.cpu_arch = str(env->cpu_arch(), "environment", false);
  }
  if (!m.tensors()) bad("tensors", "missing");
  for (uint32_t i = 0; i < m.tensors()->size(); ++i) {
    const std::string field = "tensors[" + std::to_string(i) + "]";
    add_tensor(c, tensor(m.tensors()->Get(i), field, Role::parameter), field);
  }
  architecture(m.architecture(), c);
  optimizer(m.optimizer(), c);
  rng_list(m.rng(), "rng", &c.rng);
  training_loop_tables(m, c);
  if (const auto *kvs = m.metadata()) {
    std::set<std::string> keys;
    for (uint32_t i = 0; i < kvs->size(); ++i) {
      const std::string field = "metadata[" + std::to_string(i) + "]";
      std::string key = str(kvs->Get(i)->key(), field + ".key", true);
      if (key.empty()) bad(field + ".key", "empty");
      if (!keys.insert(key).second) bad(field + ".key", "\"" + key + "\" appears twice");
      c.metadata.emplace_back(std::move(key), str(kvs->Get(i)->value(), field + ".value", true));
    }
  }
  no_overlap(c);
  check_training_ranges(c, sample_output_);
  return c;
}

struct AlignedFree {
  void operator()(unsigned char *p) const { ::operator delete(p, std::align_val_t(kAlignment)); }
};

}  // namespace

const TensorEntry *Contents::find(const std::string &name) const {
  for (const TensorEntry &e : tensors) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

int64_t Contents::optimizer_step() const {
  int64_t step = 0;
  for (const ParamStateInfo &p : param_states) step = std::max(step, p.step);
  return step;
}

Contents read_contents(const Source &source) {
  const std::string &file = source.label();
  unsigned char header_bytes[kHeaderSize] = {};
  if (source.size() >= kHeaderSize) source.read(0, header_bytes, kHeaderSize);
  const Header header = decode_header(header_bytes, source.size(), file);

  // Bounded by the file size and 2 GiB (decode_header). The Verifier checks alignment
  // relative to the buffer start, so the copy is 64-byte aligned.
  const size_t length = static_cast<size_t>(header.manifest_length);
  std::unique_ptr<unsigned char, AlignedFree> manifest(
      static_cast<unsigned char *>(::operator new(length, std::align_val_t(kAlignment))));
  source.will_read(header.manifest_offset, length);
  source.read(header.manifest_offset, manifest.get(), length);
  const uint32_t crc = crc32c(0, manifest.get(), length);
  if (crc != header.manifest_crc32c) {
    fail(NNSTATE_ERR_CORRUPT, describe_file(file) + ": manifest: CRC32C mismatch (stored " +
                                  crc_text(header.manifest_crc32c) + ", computed " + crc_text(crc) +
                                  ", " + std::to_string(length) + " bytes at offset " +
                                  std::to_string(header.manifest_offset) + ")");
  }
  flatbuffers::Verifier::Options options;
  options.max_depth = 16;
  // Every table takes at least 4 bytes, unless the manifest references one many times: that
  // would multiply the memory the plain values take, so such manifests are refused.
  options.max_tables = length / 4 + 64;
  flatbuffers::Verifier verifier(manifest.get(), length, options);
  if (!fbs::VerifyManifestBuffer(verifier)) {
    fail(NNSTATE_ERR_CORRUPT, describe_file(file) + ": manifest: not a valid FlatBuffer with " +
                                  "identifier \"NNST\" (" + std::to_string(length) + " bytes)");
  }
  Contents contents = Checker(file, header).run(*fbs::GetManifest(manifest.get()));
  contents.file_size = source.size();
  return contents;
}

void verify_data(const Source &source, const Contents &contents) {
  check_data(source, contents, true);
}

void check_data(const Source &source, const Contents &contents, bool verify_crc) {
  std::vector<ReadTarget> targets;
  if (verify_crc) {
    targets.reserve(contents.tensors.size());
    for (const TensorEntry &e : contents.tensors) targets.push_back({&e, nullptr});
  }
  read_tensors(source, contents, std::move(targets),
               verify_crc ? DataCheck::crc_and_padding : DataCheck::padding);
}

ValidatedCheckpoint validate(const Source &source, bool with_data) {
  ValidatedCheckpoint checkpoint{source, read_contents(source), with_data};
  if (with_data) verify_data(source, checkpoint.contents);
  return checkpoint;
}

}  // namespace nnstate::checkpoint
