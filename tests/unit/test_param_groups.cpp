// Parameter groups against PyTorch 1.13 (tests/unit/reference/make_param_group_refs.py): Adam and
// AdamW over two groups with their own lr, betas, eps and weight_decay, scheduled by StepLR,
// CosineAnnealingLR and ReduceLROnPlateau with a per-group min_lr. The rates are Python doubles
// on both sides, computed by the same recursions: they must agree to 1e-15 relative. Values and
// moments are float32 on both sides in the same operation order: they agree to float rounding
// (1e-6 relative, 1e-7 absolute). Also: name patterns and how groups are assigned and refused.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "optim/optimizer.h"
#include "reference/param_group_refs.h"
#include "schedule/lr_scheduler.h"
#include "util/error.h"

using namespace nnstate;
namespace refs = nnstate::testing::param_group_refs;

namespace {

const std::vector<std::pair<const char *, Shape>> kParams = {
    {"backbone.0.weight", Shape{2, 3}},
    {"backbone.0.bias", Shape{2}},
    {"head.weight", Shape{1, 2}},
    {"head.bias", Shape{1}},
};

float formula(int64_t k, int salt, double scale, double phase) {
  return static_cast<float>(scale *
                            std::sin(1.3 * static_cast<double>(k + 1) + 0.7 * salt + phase));
}

struct Params {
  std::vector<Tensor> values, grads;
  Params() {
    for (size_t i = 0; i < kParams.size(); ++i) {
      values.emplace_back(kParams[i].second);
      grads.emplace_back(kParams[i].second);
      for (int64_t k = 0; k < values[i].numel(); ++k) {
        values[i][k] = formula(k, static_cast<int>(i), 0.8, 0.2);
      }
    }
  }
  std::vector<TensorRef> refs() {
    std::vector<TensorRef> out;
    for (size_t i = 0; i < kParams.size(); ++i)
      out.push_back({kParams[i].first, &values[i], &grads[i]});
    return out;
  }
  void set_grads(int step) {
    for (size_t i = 0; i < kParams.size(); ++i) {
      for (int64_t k = 0; k < grads[i].numel(); ++k) {
        grads[i][k] = formula(k, static_cast<int>(i), 1.0 + static_cast<double>(i), 0.31 * step);
      }
    }
  }
};

// torch's groups: [{"params": backbone, lr 1e-2, betas (0.8, 0.99), eps 1e-6, weight_decay 0.1},
// {"params": head, lr 1e-1}] with the optimizer's lr 1e-3 (AdamW: weight_decay 1e-2).
OptimizerConfig two_groups(OptimizerKind kind) {
  OptimizerConfig c = default_optimizer_config(kind);
  c.lr = 1e-3;
  ParamGroupConfig backbone;
  backbone.params = {"backbone"};
  backbone.options.lr = 1e-2;
  backbone.options.beta1 = 0.8;
  backbone.options.beta2 = 0.99;
  backbone.options.eps = 1e-6;
  backbone.options.weight_decay = 0.1;
  ParamGroupConfig head;
  head.params = {"head."};
  head.options.lr = 1e-1;
  c.groups = {backbone, head};
  return c;
}

SchedulerConfig scheduler_of(const std::string &name) {
  SchedulerConfig s;
  if (name == "StepLR") {
    s.kind = SchedulerKind::step;
    s.step_size = 3;
    s.gamma = 0.5;
  } else if (name == "CosineAnnealingLR") {
    s.kind = SchedulerKind::cosine_annealing;
    s.t_max = 5;
    s.eta_min = 1e-4;
  } else {
    s.kind = SchedulerKind::reduce_on_plateau;
    s.factor = 0.5;
    s.patience = 1;
    s.group_min_lr = {4e-3, 3e-2};
  }
  return s;
}

void check_close(const std::vector<float> &expected, const Tensor &actual,
                 const std::string &what) {
  REQUIRE(static_cast<int64_t>(expected.size()) == actual.numel());
  for (size_t k = 0; k < expected.size(); ++k) {
    const double e = expected[k], a = actual[static_cast<int64_t>(k)];
    INFO(what << "[" << k << "]: torch " << e << ", ours " << a);
    CHECK(std::abs(a - e) <= 1e-6 * std::abs(e) + 1e-7);
  }
}

struct StateOf : OptimizerStateVisitor {
  std::map<std::string, Tensor *> tensors;
  std::map<std::string, int64_t> steps;
  void step(const std::string &param, int64_t &step) override { steps[param] = step; }
  void tensor(const std::string &param, const char *state, Tensor &value) override {
    tensors[param + "." + state] = &value;
  }
};

}  // namespace

TEST_CASE("Adam/AdamW param groups with StepLR, cosine and ReduceLROnPlateau match PyTorch 1.13") {
  for (const refs::Case &ref : refs::kCases) {
    INFO(ref.optimizer << " with " << ref.scheduler);
    Params p;
    const OptimizerKind kind =
        std::string(ref.optimizer) == "AdamW" ? OptimizerKind::adamw : OptimizerKind::adam;
    auto optimizer = make_optimizer(two_groups(kind), p.refs());
    REQUIRE(optimizer->group_count() == 3);  // the default group (empty here) and the two
    CHECK(optimizer->param_groups() == std::vector<size_t>{1, 1, 2, 2});
    LrScheduler scheduler(scheduler_of(ref.scheduler), *optimizer);
    for (int t = 0; t < refs::kSteps; ++t) {
      p.set_grads(t);
      optimizer->step();
      if (scheduler.config().kind == SchedulerKind::reduce_on_plateau) {
        scheduler.step(*optimizer, refs::kMetrics[static_cast<size_t>(t)]);
      } else {
        scheduler.step(*optimizer);
      }
      for (size_t g = 0; g < 2; ++g) {
        const double e = ref.lrs[static_cast<size_t>(t)][g], a = optimizer->group_lr(g + 1);
        INFO("step " << t << " group " << g << ": torch " << e << ", ours " << a);
        CHECK(std::abs(a - e) <= 1e-15 * e);
      }
    }
    StateOf state;
    optimizer->visit_state(state);
    for (size_t i = 0; i < kParams.size(); ++i) {
      const refs::ParamResult &r = ref.params[i];
      REQUIRE(std::string(r.name) == kParams[i].first);
      check_close(r.value, p.values[i], std::string(r.name) + " value");
      check_close(r.exp_avg, *state.tensors.at(std::string(r.name) + ".exp_avg"), "exp_avg");
      check_close(r.exp_avg_sq, *state.tensors.at(std::string(r.name) + ".exp_avg_sq"),
                  "exp_avg_sq");
    }
  }
}

TEST_CASE("a group's options are its own: a wrong backbone lr ends far from PyTorch's values") {
  // Proves the comparison above can fail: the head group's values do not depend on the backbone's
  // options, the backbone's do.
  Params p;
  OptimizerConfig c = two_groups(OptimizerKind::adam);
  c.groups[0].options.lr = 2e-2;
  auto optimizer = make_optimizer(c, p.refs());
  LrScheduler scheduler(scheduler_of("StepLR"), *optimizer);
  for (int t = 0; t < refs::kSteps; ++t) {
    p.set_grads(t);
    optimizer->step();
    scheduler.step(*optimizer);
  }
  const refs::Case &ref = refs::kCases[0];
  double worst = 0;
  for (size_t k = 0; k < ref.params[0].value.size(); ++k) {
    worst = std::max(worst, std::abs(static_cast<double>(ref.params[0].value[k]) -
                                     p.values[0][static_cast<int64_t>(k)]));
  }
  CHECK(worst > 1e-3);
  check_close(ref.params[2].value, p.values[2], "head.weight");
}

TEST_CASE("name patterns select a tensor or a whole module, never a sibling with a longer name") {
  CHECK(name_matches("features", "features.0.weight"));
  CHECK(name_matches("features.", "features.0.weight"));
  CHECK(name_matches("features.0", "features.0.weight"));
  CHECK(name_matches("fc.weight", "fc.weight"));
  CHECK_FALSE(name_matches("features", "features2.weight"));
  CHECK_FALSE(name_matches("features.", "features2.weight"));
  CHECK_FALSE(name_matches("fc.weight", "fc.weight2"));
  CHECK_FALSE(name_matches("fc.w", "fc.weight"));
  CHECK_FALSE(name_matches("", "fc.weight"));
  CHECK(name_matches("1", "1.weight"));
  CHECK_FALSE(name_matches("1", "10.weight"));
}

TEST_CASE("param groups: unassigned parameters go to the default group; overlaps are refused") {
  const std::vector<std::string> names = {"0.weight", "0.bias", "2.weight", "2.bias"};
  ParamGroupConfig g;
  g.params = {"2"};
  CHECK(assign_param_groups({g}, names) == std::vector<size_t>{0, 0, 1, 1});
  ParamGroupConfig overlap;
  overlap.params = {"2.bias"};
  try {
    assign_param_groups({g, overlap}, names);
    FAIL("an overlap was accepted");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK(std::string(e.what()) == "parameter \"2.bias\" is in param group 0 and in param group 1");
  }
  ParamGroupConfig none;
  CHECK_THROWS_WITH(assign_param_groups({none}, names),
                    "param group 0 selects no parameters (no pattern given)");
  ParamGroupConfig twice;
  twice.params = {"0", "0"};
  CHECK_THROWS_WITH(assign_param_groups({twice}, names),
                    "param group 0: the pattern \"0\" is given twice");
}

TEST_CASE("a group's options are validated like the optimizer's and name the group") {
  OptimizerConfig c = two_groups(OptimizerKind::adam);
  c.groups[1].options.beta2 = 1.0;
  try {
    validate_optimizer_config(c);
    FAIL("beta2 1 was accepted");
  } catch (const Error &e) {
    CHECK(std::string(e.what()).find("param group 1: invalid optimizer option beta2") == 0);
  }
  c = two_groups(OptimizerKind::adam);
  c.groups[0].options.lr = -1;
  CHECK_THROWS_WITH(validate_optimizer_config(c),
                    doctest::Contains("param group 0: invalid optimizer option lr"));
}

TEST_CASE("options a group leaves NaN are the default group's, resolved once") {
  Params p;
  OptimizerConfig c = two_groups(OptimizerKind::adamw);
  auto optimizer = make_optimizer(c, p.refs());
  const ParamGroupOptions head = optimizer->group_options(2);
  CHECK(head.lr == 1e-1);
  CHECK(head.beta1 == 0.9);
  CHECK(head.beta2 == 0.999);
  CHECK(head.eps == 1e-8);
  CHECK(head.weight_decay == 1e-2);
  CHECK(optimizer->config().groups[1].options.weight_decay == 1e-2);
  CHECK_THROWS_WITH(optimizer->set_group_lr(3, 0.1), doctest::Contains("param group 3 does not"));
}

TEST_CASE("ReduceLROnPlateau refuses a min_lr list that does not fit the optimizer's groups") {
  Params p;
  auto optimizer = make_optimizer(two_groups(OptimizerKind::adam), p.refs());
  SchedulerConfig s = scheduler_of("ReduceLROnPlateau");
  s.group_min_lr = {1e-3};
  try {
    LrScheduler scheduler(s, *optimizer);
    FAIL("a min_lr list of 1 for 2 groups was accepted");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_STATE);
    CHECK(std::string(e.what()).find("1 min_lr values, the optimizer 2 param groups") !=
          std::string::npos);
  }
}
