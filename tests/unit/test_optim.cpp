// Optimizers against double-precision references written from PyTorch 1.13's update rules
// (torch.optim.Adam, AdamW, SGD; single-tensor path). Every parameter and every state tensor is
// compared after every step.
//
// Tolerance: the library updates in float32 and the reference runs in double from the same
// float inputs, so the two differ by float rounding only. We allow a relative error of 1e-6 plus
// an absolute floor of 2.4e-7 (2^-22, two float32 ulps at 1.0) times the scale of the quantity:
// the larger of the largest magnitude in the tensor and, for moments and momentum buffers, the
// largest gradient seen (squared for second moments). The floor is for elements that come out
// of a cancellation (a first moment that changes sign, a parameter crossing zero): their
// absolute error is set by the size of the terms that cancelled, not by their own small value.
// Eight steps of float32 accumulation put such elements up to ~1 ulp of that scale (1.2e-7 at
// 1.0) away from the exact value; a floor of 1e-7 held with only 15% to spare, 2.4e-7 leaves
// a factor of two (the worst element is at ~0.43 of the tolerance). PyTorch's own float32
// results differ from double by the same amounts. Scaling the floor keeps it meaningful for
// tensors whose values are all tiny (the second moment of a parameter whose gradients are ~1e-5
// is ~1e-13; a fixed absolute floor would accept anything) or large (gradients ~20).
//
// Each case also proves it can fail: a reference with a known mistake (eps inside the bias
// correction, AMSGrad on the corrected moment, a dampened first momentum buffer, ...) must end
// well outside the tolerance of the correct one.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "optim/optimizer.h"
#include "util/error.h"

using namespace nnstate;

namespace {

constexpr double kRelTol = 1e-6;
constexpr double kAbsFloor = 2.4e-7;
constexpr int kSteps = 8;

// Three parameters with different shapes and gradient scales: ordinary, tiny (so eps matters
// against sqrt(v)) and large.
struct ParamSpec {
  const char *name;
  Shape shape;
  double grad_scale;
};

const std::vector<ParamSpec> &param_specs() {
  static const std::vector<ParamSpec> specs = {
      {"0.weight", Shape{2, 3}, 1.0},
      {"0.bias", Shape{2}, 1e-5},
      {"2.weight", Shape{1, 2, 2}, 20.0},
  };
  return specs;
}

float initial_value(size_t k, int64_t i) {
  return static_cast<float>(0.8 * std::cos(1.3 * static_cast<double>(i) + 2.1 * k + 0.2) +
                            0.05 * static_cast<double>(k + 1));
}

// Gradient of parameter k, element i, at step t (1-based). The amplitude rises, falls and jumps
// again, so the AMSGrad maximum both holds and moves; the sign of an element changes over time.
float gradient_value(int t, size_t k, int64_t i) {
  static const double amplitude[] = {1.0, 1.2, 0.25, 0.3, 0.2, 1.5, 0.4, 0.35, 0.5, 0.6};
  double base = std::sin(0.9 * t + 1.7 * static_cast<double>(i) + 0.6 * k + 0.3) + 0.1;
  return static_cast<float>(param_specs()[k].grad_scale * amplitude[(t - 1) % 10] * base);
}

// Parameters and gradients as the library sees them.
struct Problem {
  std::vector<Tensor> values, grads;

  Problem() {
    for (size_t k = 0; k < param_specs().size(); ++k) {
      Tensor v(param_specs()[k].shape);
      for (int64_t i = 0; i < v.numel(); ++i) v[i] = initial_value(k, i);
      values.push_back(v);
      grads.emplace_back(param_specs()[k].shape);
    }
  }
  std::vector<TensorRef> refs() {
    std::vector<TensorRef> out;
    for (size_t k = 0; k < values.size(); ++k) {
      out.push_back(TensorRef{param_specs()[k].name, &values[k], &grads[k]});
    }
    return out;
  }
  void set_gradients(int t) {
    for (size_t k = 0; k < grads.size(); ++k) {
      for (int64_t i = 0; i < grads[k].numel(); ++i) grads[k][i] = gradient_value(t, k, i);
    }
  }
};

// ---- Reference ---------------------------------------------------------------------------

// Deliberate mistakes, used only to show that a case can tell them from the right rule.
enum class Flaw {
  none,
  eps_inside_bias_correction,  // denom = (sqrt(v) + eps) / sqrt(1 - beta2^t)
  amsgrad_ignored,             // uses v instead of the running maximum
  amsgrad_corrected_max,       // maximum of the bias-corrected v
  decay_decoupled,             // Adam decays like AdamW
  decay_coupled,               // AdamW decays like Adam (L2 on the gradient)
  maximize_after_decay,        // negates grad + wd * theta instead of grad only
  first_buffer_dampened,       // SGD: first momentum buffer (1 - dampening) * d
  nesterov_ignored,            // SGD: plain momentum step
  lr_fixed,                    // set_lr has no effect
};

struct RefParam {
  std::vector<double> p, exp_avg, exp_avg_sq, max_exp_avg_sq, momentum_buffer;
  int64_t step = 0;
  double g_max = 0.0;  // largest |effective gradient| so far: the scale of the moments
};

std::vector<RefParam> initial_reference() {
  std::vector<RefParam> ref(param_specs().size());
  for (size_t k = 0; k < ref.size(); ++k) {
    const int64_t n = param_specs()[k].shape.numel();
    for (int64_t i = 0; i < n; ++i) ref[k].p.push_back(initial_value(k, i));
    ref[k].exp_avg.assign(n, 0.0);
    ref[k].exp_avg_sq.assign(n, 0.0);
    ref[k].max_exp_avg_sq.assign(n, 0.0);
    ref[k].momentum_buffer.assign(n, 0.0);
  }
  return ref;
}

// torch.optim.Adam / AdamW, one step of one parameter, in double.
void adam_reference_step(const OptimizerConfig &c, double lr, RefParam &s, size_t k, Flaw flaw) {
  s.step += 1;
  const double t = static_cast<double>(s.step);
  const double bias_correction1 = 1.0 - std::pow(c.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(c.beta2, t);
  bool decoupled = c.kind == OptimizerKind::adamw;
  if (flaw == Flaw::decay_decoupled) decoupled = true;
  if (flaw == Flaw::decay_coupled) decoupled = false;
  for (size_t i = 0; i < s.p.size(); ++i) {
    double g = gradient_value(static_cast<int>(s.step), k, static_cast<int64_t>(i));
    double &p = s.p[i], &m = s.exp_avg[i], &v = s.exp_avg_sq[i], &v_max = s.max_exp_avg_sq[i];
    if (flaw == Flaw::maximize_after_decay) {
      if (decoupled) {
        p *= 1.0 - lr * c.weight_decay;
      } else {
        g += c.weight_decay * p;
      }
      if (c.maximize) g = -g;
    } else {
      if (c.maximize) g = -g;
      if (decoupled) {
        p *= 1.0 - lr * c.weight_decay;
      } else {
        g += c.weight_decay * p;
      }
    }
    s.g_max = std::max(s.g_max, std::fabs(g));
    m = c.beta1 * m + (1.0 - c.beta1) * g;
    v = c.beta2 * v + (1.0 - c.beta2) * g * g;
    double denom;
    if (c.amsgrad && flaw == Flaw::amsgrad_corrected_max) {
      v_max = std::max(v_max, v / bias_correction2);
      denom = std::sqrt(v_max) + c.eps;
    } else if (c.amsgrad && flaw != Flaw::amsgrad_ignored) {
      v_max = std::max(v_max, v);
      denom = std::sqrt(v_max) / std::sqrt(bias_correction2) + c.eps;
    } else if (flaw == Flaw::eps_inside_bias_correction) {
      denom = (std::sqrt(v) + c.eps) / std::sqrt(bias_correction2);
    } else {
      denom = std::sqrt(v) / std::sqrt(bias_correction2) + c.eps;
    }
    p -= lr / bias_correction1 * (m / denom);
  }
}

// torch.optim.SGD, one step of one parameter, in double.
void sgd_reference_step(const OptimizerConfig &c, double lr, RefParam &s, size_t k, Flaw flaw) {
  const bool first = s.step == 0;
  s.step += 1;
  for (size_t i = 0; i < s.p.size(); ++i) {
    double g = gradient_value(static_cast<int>(s.step), k, static_cast<int64_t>(i));
    double &p = s.p[i], &buf = s.momentum_buffer[i];
    double d;
    if (flaw == Flaw::maximize_after_decay) {
      d = g + c.weight_decay * p;
      if (c.maximize) d = -d;
    } else {
      d = (c.maximize ? -g : g) + c.weight_decay * p;
    }
    s.g_max = std::max(s.g_max, std::fabs(d));
    if (c.momentum != 0.0) {
      if (first) {
        buf = flaw == Flaw::first_buffer_dampened ? (1.0 - c.dampening) * d : d;
      } else {
        buf = c.momentum * buf + (1.0 - c.dampening) * d;
      }
      d = c.nesterov && flaw != Flaw::nesterov_ignored ? d + c.momentum * buf : buf;
    }
    p -= lr * d;
  }
}

void reference_step(const OptimizerConfig &c, double lr, std::vector<RefParam> &ref, Flaw flaw) {
  for (size_t k = 0; k < ref.size(); ++k) {
    if (c.kind == OptimizerKind::sgd) {
      sgd_reference_step(c, lr, ref[k], k, flaw);
    } else {
      adam_reference_step(c, lr, ref[k], k, flaw);
    }
  }
}

// The learning rate of step t: the config's, or lrs[t - 1] set through set_lr.
double lr_of_step(const OptimizerConfig &c, const std::vector<double> &lrs, int t) {
  return lrs.empty() ? c.lr : lrs[t - 1];
}

std::vector<RefParam> simulate(const OptimizerConfig &c, const std::vector<double> &lrs,
                               Flaw flaw) {
  std::vector<RefParam> ref = initial_reference();
  for (int t = 1; t <= kSteps; ++t) {
    double lr = flaw == Flaw::lr_fixed ? c.lr : lr_of_step(c, lrs, t);
    reference_step(c, lr, ref, flaw);
  }
  return ref;
}

// ---- Comparison --------------------------------------------------------------------------

// The worst |actual - expected| over the allowed error (1.0 = at the tolerance) and where.
struct ErrorRatio {
  double ratio = 0.0;
  size_t index = 0;
};

// `scale` is the magnitude of the terms the values are computed from; the absolute floor is
// kAbsFloor times the larger of it and the largest expected value.
template <typename T>
ErrorRatio error_ratio(const T *actual, const std::vector<double> &expected, double scale = 0.0) {
  for (double e : expected) scale = std::max(scale, std::fabs(e));
  ErrorRatio worst;
  for (size_t i = 0; i < expected.size(); ++i) {
    double allowed = kRelTol * std::fabs(expected[i]) + kAbsFloor * scale;
    double diff = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    double ratio = diff / std::max(allowed, 1e-300);
    if (std::isnan(diff)) ratio = INFINITY;
    if (ratio > worst.ratio) worst = ErrorRatio{ratio, i};
  }
  return worst;
}

void check_close(const float *actual, const std::vector<double> &expected, double scale,
                 const std::string &what, int t) {
  ErrorRatio e = error_ratio(actual, expected, scale);
  INFO(what << " after step " << t << ", element " << e.index << ": got "
            << static_cast<double>(actual[e.index]) << ", expected " << expected[e.index]
            << " (error " << e.ratio << " x tolerance)");
  CHECK(e.ratio <= 1.0);
}

// Everything the optimizer reports through visit_state.
struct StateSnapshot : OptimizerStateVisitor {
  std::map<std::string, int64_t> steps;
  std::map<std::string, std::map<std::string, Tensor>> tensors;
  void step(const std::string &param, int64_t &step) override {
    CHECK(steps.count(param) == 0);
    steps[param] = step;
  }
  void tensor(const std::string &param, const char *state_name, Tensor &value) override {
    CHECK(tensors[param].count(state_name) == 0);
    tensors[param][state_name] = value;
  }
};

std::vector<std::string> expected_state_names(const OptimizerConfig &c) {
  if (c.kind == OptimizerKind::sgd) {
    if (c.momentum != 0.0) return {"momentum_buffer"};
    return {};
  }
  if (c.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

void compare(Optimizer &opt, Problem &problem, const std::vector<RefParam> &ref,
             const OptimizerConfig &c, int t) {
  StateSnapshot snap;
  opt.visit_state(snap);
  REQUIRE(snap.steps.size() == ref.size());
  for (size_t k = 0; k < ref.size(); ++k) {
    const std::string name = param_specs()[k].name;
    check_close(problem.values[k].data(), ref[k].p, 0.0, name, t);
    REQUIRE(snap.steps.count(name) == 1);
    CHECK(snap.steps[name] == t);
    CHECK(snap.steps[name] == ref[k].step);

    std::vector<std::string> names;
    for (auto &entry : snap.tensors[name]) names.push_back(entry.first);
    std::vector<std::string> expected_names = expected_state_names(c);
    std::sort(expected_names.begin(), expected_names.end());
    INFO("state tensors of " << name);
    REQUIRE(names == expected_names);
    for (auto &entry : snap.tensors[name]) {
      const Tensor &value = entry.second;
      REQUIRE(value.shape() == param_specs()[k].shape);
      const std::string &state = entry.first;
      const std::vector<double> &expected = state == "exp_avg"          ? ref[k].exp_avg
                                            : state == "exp_avg_sq"     ? ref[k].exp_avg_sq
                                            : state == "max_exp_avg_sq" ? ref[k].max_exp_avg_sq
                                                                        : ref[k].momentum_buffer;
      // First moments and momentum buffers are sums of gradients; second moments of squares.
      const bool squared = state == "exp_avg_sq" || state == "max_exp_avg_sq";
      const double scale = squared ? ref[k].g_max * ref[k].g_max : ref[k].g_max;
      check_close(value.data(), expected, scale, name + "." + state, t);
    }
  }
}

// Runs kSteps steps of the library and the reference side by side and compares after each.
// `lrs` (optional) gives the learning rate of each step, applied with set_lr before it.
void run_case(const OptimizerConfig &c, const std::vector<double> &lrs = {}) {
  Problem problem;
  std::unique_ptr<Optimizer> opt = make_optimizer(c, problem.refs());
  REQUIRE(opt->kind() == c.kind);
  std::vector<RefParam> ref = initial_reference();
  for (int t = 1; t <= kSteps; ++t) {
    const double lr = lr_of_step(c, lrs, t);
    if (!lrs.empty()) {
      opt->set_lr(lr);
      CHECK(opt->lr() == lr);
      CHECK(opt->config().lr == lr);
    }
    problem.set_gradients(t);
    opt->step();
    reference_step(c, lr, ref, Flaw::none);
    compare(*opt, problem, ref, c, t);
  }
}

// The case's final parameters under `flaw` must be far (> 10x the tolerance) from the right
// ones, so the case would catch an implementation that makes this mistake.
void check_detects(const OptimizerConfig &c, Flaw flaw, const std::vector<double> &lrs = {}) {
  std::vector<RefParam> good = simulate(c, lrs, Flaw::none);
  std::vector<RefParam> bad = simulate(c, lrs, flaw);
  double worst = 0.0;
  for (size_t k = 0; k < good.size(); ++k) {
    worst = std::max(worst, error_ratio(bad[k].p.data(), good[k].p).ratio);
  }
  INFO("flaw " << static_cast<int>(flaw) << " moves the parameters by " << worst << " x tolerance");
  CHECK(worst > 10.0);
}

OptimizerConfig config_of(OptimizerKind kind, double lr) {
  OptimizerConfig c = default_optimizer_config(kind);
  c.lr = lr;
  return c;
}

template <typename F>
nnstate_status status_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    CHECK(std::string(e.what()).size() > 0);
    return e.status();
  }
  return NNSTATE_OK;
}

}  // namespace

// ---- Adam ----------------------------------------------------------------------------------

TEST_CASE("optim: Adam with PyTorch's defaults") {
  OptimizerConfig c = default_optimizer_config(OptimizerKind::adam);
  run_case(c);
  // The 1e-5 gradients make eps comparable to sqrt(v): its place in the formula shows.
  check_detects(c, Flaw::eps_inside_bias_correction);
}

TEST_CASE("optim: Adam plain, larger rate and other betas") {
  OptimizerConfig c = config_of(OptimizerKind::adam, 0.05);
  c.beta1 = 0.8;
  c.beta2 = 0.99;
  c.eps = 1e-6;
  run_case(c);
  check_detects(c, Flaw::eps_inside_bias_correction);
}

TEST_CASE("optim: Adam amsgrad keeps the maximum of the raw second moment") {
  OptimizerConfig c = config_of(OptimizerKind::adam, 0.05);
  c.beta2 = 0.99;
  c.amsgrad = true;
  run_case(c);
  check_detects(c, Flaw::amsgrad_ignored);
  check_detects(c, Flaw::amsgrad_corrected_max);
}

TEST_CASE("optim: Adam weight_decay is coupled L2 on the gradient") {
  OptimizerConfig c = config_of(OptimizerKind::adam, 0.05);
  c.weight_decay = 0.1;
  run_case(c);
  check_detects(c, Flaw::decay_decoupled);
}

TEST_CASE("optim: Adam maximize") {
  OptimizerConfig c = config_of(OptimizerKind::adam, 0.05);
  c.maximize = true;
  SUBCASE("without weight decay") {
    run_case(c);
    OptimizerConfig minimizing = c;
    minimizing.maximize = false;
    std::vector<RefParam> up = simulate(c, {}, Flaw::none);
    std::vector<RefParam> down = simulate(minimizing, {}, Flaw::none);
    CHECK(error_ratio(up[0].p.data(), down[0].p).ratio > 10.0);
  }
  SUBCASE("with weight decay: the gradient is negated before the decay is added") {
    c.weight_decay = 0.2;
    run_case(c);
    check_detects(c, Flaw::maximize_after_decay);
  }
}

// ---- AdamW ---------------------------------------------------------------------------------

TEST_CASE("optim: AdamW decays decoupled with default weight_decay 1e-2") {
  OptimizerConfig c = config_of(OptimizerKind::adamw, 0.05);
  REQUIRE(c.weight_decay == 1e-2);
  run_case(c);
  check_detects(c, Flaw::decay_coupled);
  SUBCASE("at PyTorch's default rate") {
    run_case(default_optimizer_config(OptimizerKind::adamw));
  }
  SUBCASE("maximize") {
    c.maximize = true;
    run_case(c);
  }
}

TEST_CASE("optim: AdamW amsgrad") {
  OptimizerConfig c = config_of(OptimizerKind::adamw, 0.05);
  c.beta2 = 0.99;
  c.amsgrad = true;
  run_case(c);
  check_detects(c, Flaw::amsgrad_corrected_max);
  check_detects(c, Flaw::decay_coupled);
}

// ---- SGD -----------------------------------------------------------------------------------

TEST_CASE("optim: SGD plain") {
  run_case(config_of(OptimizerKind::sgd, 0.1));
}

TEST_CASE("optim: SGD momentum, first buffer is the raw gradient") {
  OptimizerConfig c = config_of(OptimizerKind::sgd, 0.1);
  c.momentum = 0.9;
  run_case(c);
}

TEST_CASE("optim: SGD momentum with dampening, none on the first step") {
  OptimizerConfig c = config_of(OptimizerKind::sgd, 0.1);
  c.momentum = 0.9;
  c.dampening = 0.5;
  run_case(c);
  check_detects(c, Flaw::first_buffer_dampened);
}

TEST_CASE("optim: SGD nesterov") {
  OptimizerConfig c = config_of(OptimizerKind::sgd, 0.1);
  c.momentum = 0.9;
  c.nesterov = true;
  run_case(c);
  check_detects(c, Flaw::nesterov_ignored);
  SUBCASE("with weight decay") {
    c.weight_decay = 0.05;
    run_case(c);
  }
}

TEST_CASE("optim: SGD weight_decay") {
  OptimizerConfig c = config_of(OptimizerKind::sgd, 0.1);
  c.weight_decay = 0.1;
  SUBCASE("no momentum") {
    run_case(c);
  }
  SUBCASE("with momentum") {
    c.momentum = 0.8;
    run_case(c);
  }
}

TEST_CASE("optim: SGD maximize") {
  OptimizerConfig c = config_of(OptimizerKind::sgd, 0.1);
  c.maximize = true;
  c.momentum = 0.5;
  c.weight_decay = 0.3;
  run_case(c);
  check_detects(c, Flaw::maximize_after_decay);
}

// ---- Learning rate changes, state, configuration -----------------------------------------

TEST_CASE("optim: set_lr between steps takes effect") {
  // Includes a zero rate: the parameters stay put but the state still advances.
  const std::vector<double> lrs = {0.1, 0.05, 0.2, 0.0, 0.03, 0.3, 0.01, 0.07};
  OptimizerConfig c;
  SUBCASE("Adam") {
    c = config_of(OptimizerKind::adam, 0.02);
    c.amsgrad = true;
  }
  SUBCASE("AdamW") {
    c = config_of(OptimizerKind::adamw, 0.02);
  }
  SUBCASE("SGD") {
    c = config_of(OptimizerKind::sgd, 0.02);
    c.momentum = 0.9;
    c.dampening = 0.1;
    c.weight_decay = 0.01;
  }
  run_case(c, lrs);
  check_detects(c, Flaw::lr_fixed, lrs);
}

TEST_CASE("optim: set_lr refuses a bad rate and keeps the old one") {
  Problem problem;
  auto opt = make_optimizer(config_of(OptimizerKind::adam, 0.01), problem.refs());
  CHECK(status_of([&] { opt->set_lr(-0.1); }) == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(status_of([&] { opt->set_lr(std::nan("")); }) == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(status_of([&] { opt->set_lr(INFINITY); }) == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(opt->lr() == 0.01);
  opt->set_lr(0.0);
  CHECK(opt->lr() == 0.0);
}

TEST_CASE("optim: step counts count every step of every parameter") {
  for (OptimizerKind kind : {OptimizerKind::adam, OptimizerKind::adamw, OptimizerKind::sgd}) {
    for (double momentum : {0.0, 0.9}) {
      OptimizerConfig c = default_optimizer_config(kind);
      c.momentum = momentum;
      Problem problem;
      auto opt = make_optimizer(c, problem.refs());
      for (int t = 0; t <= 11; ++t) {
        StateSnapshot snap;
        opt->visit_state(snap);
        INFO(optimizer_kind_name(kind) << ", momentum " << momentum << ", after " << t << " steps");
        REQUIRE(snap.steps.size() == param_specs().size());
        for (const ParamSpec &spec : param_specs()) CHECK(snap.steps[spec.name] == t);
        problem.set_gradients(t % 10 + 1);
        opt->step();
      }
    }
  }
}

TEST_CASE("optim: state written back through visit_state resumes the identical run") {
  // A loader overwrites the step count and tensors through the same visitor; a fresh
  // optimizer given the state of a running one must continue bit for bit.
  struct Loader : OptimizerStateVisitor {
    StateSnapshot *from = nullptr;
    void step(const std::string &param, int64_t &step) override { step = from->steps.at(param); }
    void tensor(const std::string &param, const char *state_name, Tensor &value) override {
      value = from->tensors.at(param).at(state_name);
    }
  };
  OptimizerConfig c;
  SUBCASE("Adam amsgrad") {
    c = config_of(OptimizerKind::adam, 0.05);
    c.amsgrad = true;
  }
  SUBCASE("AdamW") {
    c = config_of(OptimizerKind::adamw, 0.05);
  }
  SUBCASE("SGD momentum and dampening") {
    c = config_of(OptimizerKind::sgd, 0.1);
    c.momentum = 0.9;
    c.dampening = 0.3;
  }
  Problem original;
  auto opt = make_optimizer(c, original.refs());
  for (int t = 1; t <= 4; ++t) {
    original.set_gradients(t);
    opt->step();
  }
  StateSnapshot saved;
  opt->visit_state(saved);
  Problem resumed = original;  // the parameters, as a checkpoint would restore them
  auto opt2 = make_optimizer(c, resumed.refs());
  Loader loader;
  loader.from = &saved;
  opt2->visit_state(loader);
  for (int t = 5; t <= kSteps; ++t) {
    original.set_gradients(t);
    resumed.set_gradients(t);
    opt->step();
    opt2->step();
  }
  // The resumed run must also match the reference, not merely the original.
  std::vector<RefParam> ref = simulate(c, {}, Flaw::none);
  compare(*opt2, resumed, ref, c, kSteps);
  for (size_t k = 0; k < original.values.size(); ++k) {
    for (int64_t i = 0; i < original.values[k].numel(); ++i) {
      CHECK(original.values[k][i] == resumed.values[k][i]);
    }
  }
}

TEST_CASE("optim: validation rejects bad configurations") {
  auto rejected = [](const OptimizerConfig &c) {
    CHECK(status_of([&] { validate_optimizer_config(c); }) == NNSTATE_ERR_INVALID_ARGUMENT);
    Problem problem;
    CHECK(status_of([&] { make_optimizer(c, problem.refs()); }) == NNSTATE_ERR_INVALID_ARGUMENT);
  };
  auto accepted = [](const OptimizerConfig &c) {
    CHECK(status_of([&] { validate_optimizer_config(c); }) == NNSTATE_OK);
    Problem problem;
    CHECK(status_of([&] { make_optimizer(c, problem.refs()); }) == NNSTATE_OK);
  };

  for (OptimizerKind kind : {OptimizerKind::adam, OptimizerKind::adamw, OptimizerKind::sgd}) {
    INFO(optimizer_kind_name(kind));
    OptimizerConfig c = default_optimizer_config(kind);
    accepted(c);
    c.lr = -1e-3;
    rejected(c);
    c.lr = std::nan("");
    rejected(c);
    c.lr = 0.0;
    accepted(c);
    c = default_optimizer_config(kind);
    c.weight_decay = -0.01;
    rejected(c);
  }

  for (OptimizerKind kind : {OptimizerKind::adam, OptimizerKind::adamw}) {
    INFO(optimizer_kind_name(kind));
    const OptimizerConfig base = default_optimizer_config(kind);
    OptimizerConfig c = base;
    c.beta1 = 1.0;
    rejected(c);
    c.beta1 = 1.5;
    rejected(c);
    c.beta1 = -0.1;
    rejected(c);
    c.beta1 = std::nan("");
    rejected(c);
    c = base;
    c.beta2 = 1.0;
    rejected(c);
    c.beta2 = 2.0;
    rejected(c);
    c = base;
    c.eps = -1e-8;
    rejected(c);
    c = base;
    c.beta1 = 0.0;
    c.beta2 = 0.0;
    c.eps = 0.0;
    accepted(c);
    c = base;
    c.beta1 = 0.999999;
    c.beta2 = 0.999999;
    accepted(c);
  }

  const OptimizerConfig sgd = default_optimizer_config(OptimizerKind::sgd);
  OptimizerConfig c = sgd;
  c.nesterov = true;  // momentum 0
  rejected(c);
  c.momentum = 0.9;
  accepted(c);
  c.dampening = 0.1;
  rejected(c);
  c = sgd;
  c.momentum = -0.5;
  rejected(c);

  c = sgd;
  c.kind = static_cast<OptimizerKind>(42);
  rejected(c);
}

TEST_CASE("optim: default configurations are PyTorch's") {
  OptimizerConfig adam = default_optimizer_config(OptimizerKind::adam);
  CHECK(adam.kind == OptimizerKind::adam);
  CHECK(adam.lr == 1e-3);
  CHECK(adam.beta1 == 0.9);
  CHECK(adam.beta2 == 0.999);
  CHECK(adam.eps == 1e-8);
  CHECK(adam.weight_decay == 0.0);
  CHECK_FALSE(adam.amsgrad);
  CHECK_FALSE(adam.maximize);

  OptimizerConfig adamw = default_optimizer_config(OptimizerKind::adamw);
  CHECK(adamw.kind == OptimizerKind::adamw);
  CHECK(adamw.weight_decay == 1e-2);
  CHECK(adamw.lr == 1e-3);
  CHECK(adamw.beta1 == 0.9);
  CHECK(adamw.beta2 == 0.999);
  CHECK(adamw.eps == 1e-8);

  OptimizerConfig sgd = default_optimizer_config(OptimizerKind::sgd);
  CHECK(sgd.kind == OptimizerKind::sgd);
  CHECK(sgd.momentum == 0.0);
  CHECK(sgd.dampening == 0.0);
  CHECK(sgd.weight_decay == 0.0);
  CHECK_FALSE(sgd.nesterov);
}

TEST_CASE("optim: a tensor without a gradient of its shape is not a parameter") {
  for (OptimizerKind kind : {OptimizerKind::adam, OptimizerKind::sgd}) {
    INFO(optimizer_kind_name(kind));
    const OptimizerConfig c = default_optimizer_config(kind);
    Problem problem;
    std::vector<TensorRef> buffer = problem.refs();
    buffer[1].grad = nullptr;
    CHECK(status_of([&] { make_optimizer(c, buffer); }) == NNSTATE_ERR_INVALID_ARGUMENT);
    Tensor other(Shape{problem.values[1].numel() + 1});
    std::vector<TensorRef> misshapen = problem.refs();
    misshapen[1].grad = &other;
    CHECK(status_of([&] { make_optimizer(c, misshapen); }) == NNSTATE_ERR_INVALID_ARGUMENT);
    std::vector<TensorRef> no_value = problem.refs();
    no_value[1].value = nullptr;
    CHECK(status_of([&] { make_optimizer(c, no_value); }) == NNSTATE_ERR_INVALID_ARGUMENT);
  }
}
