// Gradient clipping against PyTorch 1.13 (tests/unit/reference/make_clip_refs.py):
// clip_grad_norm_ of orders 1, 2, 3 and infinity, clip_grad_value_, their non-finite cases,
// and a short training run that clips before every optimizer step.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "reference/clip_refs.h"
#include "small_mlp.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace nnstate;
using nnstate::testing::formula;
namespace refs = nnstate::testing::clip_refs;

namespace {

// Three parameters with gradients from the generator's formula.
struct Grads {
  std::vector<Tensor> values, grads;
  std::vector<TensorRef> refs;
  Grads() {
    const Shape shapes[] = {Shape{3, 4}, Shape{4}, Shape{2, 3}};
    for (const Shape &s : shapes) {
      values.emplace_back(s);
      grads.emplace_back(s);
    }
    for (size_t i = 0; i < grads.size(); ++i) {
      for (int64_t k = 0; k < grads[i].numel(); ++k) {
        grads[i][k] = formula(k, static_cast<int>(i), 2.0f);
      }
      refs.push_back(TensorRef{"p" + std::to_string(i), &values[i], &grads[i]});
    }
  }
  std::vector<float> flat() const {
    std::vector<float> out;
    for (const Tensor &g : grads) out.insert(out.end(), g.data(), g.data() + g.numel());
    return out;
  }
};

void check_close(const std::vector<float> &got, const std::vector<float> &want, float tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == doctest::Approx(want[i]).epsilon(tol));
  }
}

void check_norm_case(const refs::ClipCase &c) {
  Grads g;
  const float total = clip_grad_norm(g.refs, c.limit, c.norm_type, true);
  CHECK(total == doctest::Approx(c.total_norm).epsilon(1e-6));
  check_close(g.flat(), c.grads, 1e-6f);
}

}  // namespace

TEST_CASE("clip_grad_norm matches PyTorch for norm types 2, inf, 1 and 3") {
  SUBCASE("2, clipping") {
    check_norm_case(refs::kNorm2Clipped);
  }
  SUBCASE("2, under the limit: unchanged") {
    check_norm_case(refs::kNorm2Unclipped);
    Grads g;
    const std::vector<float> before = g.flat();
    clip_grad_norm(g.refs, 100.0, 2.0, false);
    CHECK(g.flat() == before);  // factor exactly 1
  }
  SUBCASE("inf") {
    check_norm_case(refs::kNormInf);
  }
  SUBCASE("1") {
    check_norm_case(refs::kNorm1);
  }
  SUBCASE("3") {
    check_norm_case(refs::kNorm3);
  }
}

TEST_CASE("clip_grad_value matches PyTorch") {
  Grads g;
  clip_grad_value(g.refs, refs::kValue.limit);
  CHECK(g.flat() == refs::kValue.grads);  // clamping is exact
}

TEST_CASE("clip_grad_norm with non-finite gradients: error_if_nonfinite, or PyTorch's scaling") {
  SUBCASE("NaN with error_if_nonfinite throws before changing anything") {
    Grads g;
    g.grads[1][2] = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> before = g.flat();
    CHECK_THROWS_AS(clip_grad_norm(g.refs, 1.0, 2.0, true), Error);
    const std::vector<float> after = g.flat();
    for (size_t i = 0; i < after.size(); ++i) {
      if (!std::isnan(before[i])) CHECK(after[i] == before[i]);
    }
  }
  SUBCASE("infinite without the check: factor max_norm / inf = 0, so inf * 0 = NaN") {
    Grads g;
    g.grads[0][0] = std::numeric_limits<float>::infinity();
    const float total = clip_grad_norm(g.refs, 1.0, 2.0, false);
    CHECK(std::isinf(total));
    const std::vector<float> after = g.flat();
    CHECK(std::isnan(after[0]));
    for (size_t i = 1; i < after.size(); ++i) CHECK(after[i] == 0.0f);
  }
  SUBCASE("NaN without the check: every gradient becomes NaN") {
    Grads g;
    g.grads[2][5] = std::numeric_limits<float>::quiet_NaN();
    CHECK(std::isnan(clip_grad_norm(g.refs, 1.0, std::numeric_limits<double>::infinity(), false)));
    for (float v : g.flat()) CHECK(std::isnan(v));
  }
  SUBCASE("no parameters: norm 0") {
    CHECK(clip_grad_norm({}, 1.0, 2.0, true) == 0.0f);
  }
}

TEST_CASE("clipping limits are checked") {
  GradClipConfig c;
  CHECK_NOTHROW(validate_grad_clip_config(c));
  c.max_norm = -1.0;
  CHECK_THROWS_WITH_AS(validate_grad_clip_config(c), doctest::Contains("clip_grad_norm"), Error);
  c.max_norm = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(validate_grad_clip_config(c), Error);
  c.max_norm = 1.0;
  c.norm_type = 0.0;
  CHECK_THROWS_WITH_AS(validate_grad_clip_config(c), doctest::Contains("norm_type"), Error);
  c.norm_type = std::numeric_limits<double>::infinity();
  CHECK_NOTHROW(validate_grad_clip_config(c));
  c.clip_value = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(validate_grad_clip_config(c), doctest::Contains("clip_grad_value"), Error);
}

namespace nnstate::testing {

struct NormRecorder : TrainerObserver {
  std::vector<double> norms;
  bool on_batch_end(const BatchInfo &info) override {
    if (!std::isnan(info.grad_norm)) norms.push_back(info.grad_norm);
    return true;
  }
};

// Runs the generator's training case and compares norms and final parameters.
void check_training_case(const refs::TrainingCase &c) {
  Model model(1);
  build_clip_mlp(model);
  TrainerConfig config;
  config.epochs = c.epochs;
  config.batch_size = c.batch;
  config.shuffle = false;
  config.clip.max_norm = c.max_norm;
  config.accumulate_steps = c.accumulate;
  Trainer trainer(model, config);
  const ClipData data(c.samples);
  NormRecorder recorder;
  trainer.fit(data.dataset(), nullptr, &recorder);
  REQUIRE(recorder.norms.size() == c.norms.size());
  for (size_t i = 0; i < c.norms.size(); ++i) {
    CHECK(recorder.norms[i] == doctest::Approx(c.norms[i]).epsilon(1e-5));
  }
  struct Find : StateVisitor {
    std::map<std::string, Tensor *> by_name;
    void tensor(const std::string &name, TensorRole, Tensor &value, Tensor *) override {
      by_name[name] = &value;
    }
  } find;
  model.network().visit_state(find);
  for (const refs::NamedValues &p : c.params) {
    INFO(p.name);
    const Tensor &t = *find.by_name.at(p.name);
    check_close(std::vector<float>(t.data(), t.data() + t.numel()), p.values, 1e-5f);
  }
}

}  // namespace nnstate::testing

TEST_CASE("the trainer clips every update as a PyTorch loop does") {
  nnstate::testing::check_training_case(refs::kTrainClipped);
}

TEST_CASE("gradient accumulation sums micro-batches as a PyTorch loop (loss / K, step every K)") {
  // 7 samples in batches of 2: micro-batches 2, 2, 2, 1 per epoch; with K = 3 the epoch's second
  // group (the last micro-batch alone) steps at the epoch's end.
  nnstate::testing::check_training_case(refs::kTrainAccumulated);
  nnstate::testing::check_training_case(refs::kTrainAccumulatedClipped);
}
