// Learning-rate schedules against PyTorch's closed-form definitions, and ReduceLROnPlateau
// against its step rules on scripted metric sequences.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "optim/optimizer.h"
#include "schedule/lr_scheduler.h"
#include "util/error.h"

using namespace nnstate;

namespace {

// An optimizer with one parameter, only used for its learning rate.
struct Fixture {
  Tensor value{Shape{1}}, grad{Shape{1}};
  std::unique_ptr<Optimizer> optimizer;
  explicit Fixture(double lr) {
    OptimizerConfig c = default_optimizer_config(OptimizerKind::sgd);
    c.lr = lr;
    optimizer = make_optimizer(c, std::vector<TensorRef>{TensorRef{"w", &value, &grad}});
  }
};

// Steps `epochs` times and compares the rate after each step with closed_form(epoch).
void check_sequence(SchedulerConfig config, double lr0, int epochs,
                    const std::function<double(int)> &closed_form) {
  Fixture f(lr0);
  LrScheduler scheduler(config, *f.optimizer);
  for (int epoch = 0; epoch <= epochs; ++epoch) {
    if (epoch > 0) scheduler.step(*f.optimizer);
    const double expected = closed_form(epoch);
    INFO(scheduler_kind_name(config.kind)
         << " epoch " << epoch << ": lr " << f.optimizer->lr() << ", expected " << expected);
    CHECK(std::fabs(f.optimizer->lr() - expected) <= 1e-12 * std::fabs(expected) + 1e-15);
    CHECK(scheduler.state().last_epoch == epoch);
  }
}

SchedulerConfig plateau() {
  SchedulerConfig c;
  c.kind = SchedulerKind::reduce_on_plateau;
  return c;
}

// Feeds metrics and returns the rate after each step.
std::vector<double> run_plateau(const SchedulerConfig &config, double lr0,
                                const std::vector<double> &metrics) {
  Fixture f(lr0);
  LrScheduler scheduler(config, *f.optimizer);
  std::vector<double> rates;
  for (double m : metrics) {
    scheduler.step(*f.optimizer, m);
    rates.push_back(f.optimizer->lr());
  }
  return rates;
}

void check_rates(const std::vector<double> &actual, const std::vector<double> &expected) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("step " << i + 1 << ": lr " << actual[i] << ", expected " << expected[i]);
    CHECK(std::fabs(actual[i] - expected[i]) <= 1e-15 + 1e-12 * expected[i]);
  }
}

}  // namespace

TEST_CASE("StepLR: lr0 * gamma^floor(epoch / step_size)") {
  SchedulerConfig c;
  c.kind = SchedulerKind::step;
  c.step_size = 3;
  c.gamma = 0.5;
  check_sequence(c, 0.1, 12, [](int e) { return 0.1 * std::pow(0.5, e / 3); });
}

TEST_CASE("MultiStepLR: gamma at each milestone, repeated milestones compound") {
  SchedulerConfig c;
  c.kind = SchedulerKind::multi_step;
  c.milestones = {2, 5, 5, 9};
  c.gamma = 0.1;
  check_sequence(c, 1.0, 11, [](int e) {
    int passed = (e >= 2) + 2 * (e >= 5) + (e >= 9);
    return std::pow(0.1, passed);
  });
}

TEST_CASE("ExponentialLR: lr0 * gamma^epoch") {
  SchedulerConfig c;
  c.kind = SchedulerKind::exponential;
  c.gamma = 0.9;
  check_sequence(c, 0.05, 20, [](int e) { return 0.05 * std::pow(0.9, e); });
}

TEST_CASE("CosineAnnealingLR follows the cosine and keeps going past T_max (period 2*T_max)") {
  SchedulerConfig c;
  c.kind = SchedulerKind::cosine_annealing;
  c.t_max = 5;
  c.eta_min = 0.001;
  check_sequence(c, 0.1, 23, [](int e) {
    return 0.001 + (0.1 - 0.001) * (1.0 + std::cos(M_PI * e / 5.0)) / 2.0;
  });
}

TEST_CASE("LinearLR warms up from start_factor to end_factor over total_iters") {
  SchedulerConfig c;
  c.kind = SchedulerKind::linear;
  c.start_factor = 0.25;
  c.end_factor = 1.0;
  c.total_iters = 4;
  check_sequence(c, 0.2, 9, [](int e) {
    double t = std::min(e, 4) / 4.0;
    return 0.2 * (0.25 + (1.0 - 0.25) * t);
  });
}

TEST_CASE("ReduceLROnPlateau reduces after more than `patience` bad epochs") {
  SchedulerConfig c = plateau();
  c.patience = 2;
  c.factor = 0.5;
  // Best 1.0 at step 1; steps 2, 3 bad (2 <= patience); step 4 is the third bad -> reduce.
  check_rates(run_plateau(c, 1.0, {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}),
              {1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25});
}

TEST_CASE("ReduceLROnPlateau relative threshold: improvements must beat best*(1-threshold)") {
  SchedulerConfig c = plateau();
  c.patience = 0;
  c.threshold = 0.1;
  // 0.95 > 1.0*(1-0.1) = 0.9: not better -> reduce; 0.8 < 0.9 better; 0.75 > 0.72 -> reduce.
  check_rates(run_plateau(c, 1.0, {1.0, 0.95, 0.8, 0.75}), {1.0, 0.1, 0.1, 0.01});
  // In max mode: better when value > best * (1 + threshold).
  c.mode = PlateauMode::max;
  check_rates(run_plateau(c, 1.0, {1.0, 1.05, 1.2, 1.3}), {1.0, 0.1, 0.1, 0.01});
}

TEST_CASE("ReduceLROnPlateau absolute threshold") {
  SchedulerConfig c = plateau();
  c.patience = 0;
  c.threshold = 0.1;
  c.threshold_mode = ThresholdMode::abs;
  // min: better when value < best - 0.1.
  check_rates(run_plateau(c, 1.0, {5.0, 4.95, 4.85, 4.8}), {1.0, 0.1, 0.1, 0.01});
  c.mode = PlateauMode::max;
  check_rates(run_plateau(c, 1.0, {5.0, 5.05, 5.15, 5.2}), {1.0, 0.1, 0.1, 0.01});
}

TEST_CASE("ReduceLROnPlateau cooldown ignores bad epochs after a reduction") {
  SchedulerConfig c = plateau();
  c.patience = 0;
  c.cooldown = 2;
  c.factor = 0.5;
  // Step 2 reduces (cooldown 2). Steps 3, 4 are in cooldown: no reduction. Step 5 reduces.
  check_rates(run_plateau(c, 1.0, {1.0, 2.0, 2.0, 2.0, 2.0, 2.0}),
              {1.0, 0.5, 0.5, 0.5, 0.25, 0.25});
}

TEST_CASE("ReduceLROnPlateau stops at min_lr and skips reductions smaller than eps") {
  SchedulerConfig c = plateau();
  c.patience = 0;
  c.factor = 0.5;
  c.min_lr = 0.3;
  check_rates(run_plateau(c, 1.0, {1.0, 2.0, 2.0, 2.0}), {1.0, 0.5, 0.3, 0.3});
  // old - new = 1e-9 <= eps (1e-8): the rate stays.
  SchedulerConfig tiny = plateau();
  tiny.patience = 0;
  tiny.factor = 0.5;
  check_rates(run_plateau(tiny, 2e-9, {1.0, 2.0}), {2e-9, 2e-9});
  tiny.eps = 0.0;
  check_rates(run_plateau(tiny, 2e-9, {1.0, 2.0}), {2e-9, 1e-9});
}

TEST_CASE("scheduler state round-trips: a restored scheduler continues identically") {
  SchedulerConfig c = plateau();
  c.patience = 1;
  c.cooldown = 1;
  const std::vector<double> metrics = {3, 2, 2.5, 2.4, 2.6, 1.0, 1.5, 1.6, 1.7, 1.8};
  const std::vector<double> straight = run_plateau(c, 0.1, metrics);
  for (size_t cut = 1; cut < metrics.size(); ++cut) {
    Fixture first(0.1);
    LrScheduler a(c, *first.optimizer);
    for (size_t i = 0; i < cut; ++i) a.step(*first.optimizer, metrics[i]);
    Fixture second(first.optimizer->lr());
    LrScheduler b(c, *second.optimizer);
    b.restore(a.state());
    for (size_t i = cut; i < metrics.size(); ++i) {
      b.step(*second.optimizer, metrics[i]);
      CHECK(second.optimizer->lr() == straight[i]);
    }
  }
}

TEST_CASE("invalid scheduler options are refused") {
  Fixture f(0.1);
  SchedulerConfig c = plateau();
  c.factor = 1.0;
  CHECK_THROWS_AS(LrScheduler(c, *f.optimizer), Error);
  SchedulerConfig s;
  s.kind = SchedulerKind::step;
  s.step_size = 0;
  CHECK_THROWS_AS(LrScheduler(s, *f.optimizer), Error);
  SchedulerConfig cos;
  cos.kind = SchedulerKind::cosine_annealing;
  cos.t_max = 0;
  CHECK_THROWS_AS(LrScheduler(cos, *f.optimizer), Error);
  SchedulerConfig lin;
  lin.kind = SchedulerKind::linear;
  lin.start_factor = 0.0;
  CHECK_THROWS_AS(LrScheduler(lin, *f.optimizer), Error);
}
