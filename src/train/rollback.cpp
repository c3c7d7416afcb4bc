#include "train/rollback.h"

#include <cmath>
#include <cstring>

#include "train/model.h"
#include "util/error.h"

namespace nnstate {
namespace {

// Calls fn(name-maker, live tensor) for every network tensor and optimizer state tensor, and
// step_fn(live step) for every optimizer parameter, in the model's order. Names are made only
// when asked for, so take() and restore() allocate nothing.
template <typename TensorFn, typename StepFn>
void walk(Model &model, TensorFn fn, StepFn step_fn) {
  struct Network : StateVisitor {
    TensorFn *fn;
    void tensor(const std::string &name, TensorRole, Tensor &value, Tensor *) override {
      (*fn)([&] { return name; }, value);
    }
  } network;
  network.fn = &fn;
  model.network().visit_state(network);
  if (Optimizer *optimizer = model.optimizer()) {
    struct Opt : OptimizerStateVisitor {
      TensorFn *fn;
      StepFn *step_fn;
      void step(const std::string &, int64_t &step) override { (*step_fn)(step); }
      void tensor(const std::string &param, const char *state, Tensor &value) override {
        (*fn)([&] { return "optimizer." + param + "." + state; }, value);
      }
    } opt;
    opt.fn = &fn;
    opt.step_fn = &step_fn;
    optimizer->visit_state(opt);
  }
}

// A default Tensor has rank 0 like a scalar buffer (num_batches_tracked) but no storage.
bool fits(const Tensor &copy, const Tensor &live) {
  return copy.shape() == live.shape() && copy.numel() == live.numel();
}

bool all_finite(const Tensor &t) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (!std::isfinite(t[i])) return false;
  }
  return true;
}

}  // namespace

void validate_rollback_config(const RollbackConfig &c) {
  auto refuse = [](const std::string &what) { fail(NNSTATE_ERR_INVALID_ARGUMENT, what); };
  if (c.max_rollbacks < 0) {
    refuse("rollback max_rollbacks must be >= 0, got " + std::to_string(c.max_rollbacks));
  }
  if (!(c.lr_factor > 0.0 && c.lr_factor <= 1.0)) {
    refuse("rollback lr_factor must be in (0, 1], got " + std::to_string(c.lr_factor));
  }
  if (c.skip_batches < 1) {
    refuse("rollback skip_batches must be >= 1 (the offending batch), got " +
           std::to_string(c.skip_batches));
  }
  if (c.snapshot_every < 1) {
    refuse("rollback snapshot_every must be >= 1, got " + std::to_string(c.snapshot_every));
  }
  if (!(c.spike_factor == 0.0 || (c.spike_factor > 1.0 && std::isfinite(c.spike_factor)))) {
    refuse("rollback spike_factor must be 0 (off) or a finite value > 1, got " +
           std::to_string(c.spike_factor));
  }
}

const char *divergence_reason_name(DivergenceReason reason) {
  switch (reason) {
    case DivergenceReason::nonfinite_loss:
      return "nonfinite_loss";
    case DivergenceReason::loss_spike:
      return "loss_spike";
    case DivergenceReason::nonfinite_grad_norm:
      return "nonfinite_grad_norm";
  }
  return "unknown";
}

std::vector<ModelSnapshot::Entry> ModelSnapshot::prepare(Model &model) {
  // Sized first, so that the pointers handed out stay valid.
  size_t count = 0, params = 0;
  walk(
      model, [&](auto &&, Tensor &) { ++count; }, [&](int64_t &) { ++params; });
  if (copies_.size() != count) copies_.resize(count);
  if (steps_.size() != params) steps_.resize(params);
  std::vector<Entry> out;
  size_t i = 0;
  walk(
      model,
      [&](auto &&name, Tensor &live) {
        if (!fits(copies_[i], live)) copies_[i] = Tensor(live.shape());
        out.push_back({name(), &copies_[i++]});
      },
      [](int64_t &) {});
  return out;
}

std::vector<ModelSnapshot::ConstEntry> ModelSnapshot::entries(Model &model) const {
  std::vector<ConstEntry> out;
  size_t i = 0;
  walk(
      model,
      [&](auto &&name, Tensor &live) {
        const Tensor &copy = copies_.at(i++);
        if (!fits(copy, live)) {
          fail(NNSTATE_ERR_INTERNAL, "the rollback snapshot does not fit the model");
        }
        out.push_back({name(), &copy});
      },
      [](int64_t &) {});
  return out;
}

bool ModelSnapshot::take(Model &model) {
  bool finite = true;
  walk(
      model, [&](auto &&, Tensor &live) { finite = finite && all_finite(live); }, [](int64_t &) {});
  if (!finite) return false;
  if (copies_.empty() && steps_.empty()) prepare(model);  // first use: allocate
  size_t i = 0, s = 0;
  walk(
      model,
      [&](auto &&, Tensor &live) {
        Tensor &copy = copies_.at(i++);
        if (!fits(copy, live)) copy = Tensor(live.shape());
        std::memcpy(copy.data(), live.data(), live.byte_size());
      },
      [&](int64_t &step) { steps_.at(s++) = step; });
  return true;
}

void ModelSnapshot::restore(Model &model) {
  size_t i = 0, s = 0;
  walk(
      model,
      [&](auto &&, Tensor &live) {
        const Tensor &copy = copies_.at(i++);
        if (!fits(copy, live)) {
          fail(NNSTATE_ERR_INTERNAL, "the rollback snapshot does not fit the model");
        }
        std::memcpy(live.data(), copy.data(), live.byte_size());
      },
      [&](int64_t &step) { step = steps_.at(s++); });
}

}  // namespace nnstate
