// Loss values (mean reduction, PyTorch semantics) against double-precision formulas written
// independently of the implementation, plus target validation and target counts. Gradients are
// checked by finite differences in test_gradients.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "losses/loss.h"
#include "util/error.h"

using namespace nnstate;

namespace {

Tensor make_tensor(const Shape &shape, const std::vector<float> &values) {
  Tensor t(shape);
  REQUIRE(static_cast<size_t>(t.numel()) == values.size());
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

// log(1 + e^z) without overflow.
double softplus(double z) {
  return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z)));
}

double mse_reference(const std::vector<float> &x, const std::vector<float> &y) {
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    double d = static_cast<double>(x[i]) - static_cast<double>(y[i]);
    sum += d * d;
  }
  return sum / static_cast<double>(x.size());
}

// mean over rows of -log softmax(x_row)[target] = logsumexp(x_row) - x_row[target].
double cross_entropy_reference(const std::vector<float> &logits, int64_t classes,
                               const std::vector<float> &targets) {
  const size_t rows = targets.size();
  double sum = 0.0;
  for (size_t r = 0; r < rows; ++r) {
    const float *row = logits.data() + r * classes;
    double top = *std::max_element(row, row + classes);
    double total = 0.0;
    for (int64_t c = 0; c < classes; ++c) total += std::exp(row[c] - top);
    double logsumexp = top + std::log(total);
    sum += logsumexp - row[static_cast<int64_t>(targets[r])];
  }
  return sum / static_cast<double>(rows);
}

// mean of -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), with log sigmoid(x) = -softplus(-x)
// and log(1 - sigmoid(x)) = -softplus(x).
double bce_with_logits_reference(const std::vector<float> &x, const std::vector<float> &y) {
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    double xi = x[i], yi = y[i];
    sum += yi * softplus(-xi) + (1.0 - yi) * softplus(xi);
  }
  return sum / static_cast<double>(x.size());
}

// Relative 1e-6: the loss is returned as float, whose rounding alone is 6e-8 relative; the
// absolute floor 1e-7 is for losses that are exactly or nearly zero.
void check_value(float actual, double expected) {
  INFO("loss " << static_cast<double>(actual) << ", expected " << expected);
  REQUIRE(std::isfinite(actual));
  CHECK(std::fabs(static_cast<double>(actual) - expected) <= 1e-6 * std::fabs(expected) + 1e-7);
}

float compute(LossKind kind, const Tensor &output, const std::vector<float> &targets) {
  std::unique_ptr<Loss> loss = make_loss(kind);
  REQUIRE(loss->kind() == kind);
  REQUIRE(static_cast<size_t>(loss->target_count(output.shape())) == targets.size());
  const float value = loss->compute(output, targets.data(), nullptr);
  // Asking for the gradient too must not change the value.
  Tensor grad(output.shape());
  CHECK(loss->compute(output, targets.data(), &grad) == value);
  return value;
}

template <typename F>
Error caught(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e;
  }
  FAIL("no nnstate::Error was thrown");
  return Error(NNSTATE_OK, "");
}

}  // namespace

TEST_CASE("loss: MSELoss is the mean squared difference") {
  SUBCASE("hand-computed") {
    // ((1-0)^2 + (2-4)^2 + (-1-1)^2 + (0.5-0.5)^2) / 4 = 9 / 4
    Tensor x = make_tensor(Shape{2, 2}, {1.0f, 2.0f, -1.0f, 0.5f});
    check_value(compute(LossKind::mse, x, {0.0f, 4.0f, 1.0f, 0.5f}), 2.25);
  }
  SUBCASE("various shapes against the formula") {
    for (const Shape &shape : {Shape{7}, Shape{2, 3}, Shape{2, 2, 3}, Shape{1, 2, 2, 2}}) {
      std::vector<float> x, y;
      for (int64_t i = 0; i < shape.numel(); ++i) {
        x.push_back(static_cast<float>(std::sin(0.7 * i) * 3.0));
        y.push_back(static_cast<float>(std::cos(1.3 * i) - 0.2));
      }
      INFO("shape " << shape.to_string());
      check_value(compute(LossKind::mse, make_tensor(shape, x), y), mse_reference(x, y));
    }
  }
  SUBCASE("zero when equal") {
    Tensor x = make_tensor(Shape{3}, {1.5f, -2.0f, 1e6f});
    CHECK(compute(LossKind::mse, x, {1.5f, -2.0f, 1e6f}) == 0.0f);
  }
  SUBCASE("large values") {
    std::vector<float> x = {1e4f, -3e4f, 2.5e3f}, y = {-1e4f, 3e4f, 0.0f};
    check_value(compute(LossKind::mse, make_tensor(Shape{3}, x), y), mse_reference(x, y));
  }
}

TEST_CASE("loss: CrossEntropyLoss of logits and class indices") {
  SUBCASE("hand-computed") {
    // Equal logits: -log(1/4) for every sample.
    Tensor x = make_tensor(Shape{2, 4}, {0.3f, 0.3f, 0.3f, 0.3f, -2.0f, -2.0f, -2.0f, -2.0f});
    check_value(compute(LossKind::cross_entropy, x, {0.0f, 3.0f}), std::log(4.0));
    // One sample, logits {0, ln 3}, class 1: -log(3 / 4).
    Tensor y = make_tensor(Shape{1, 2}, {0.0f, static_cast<float>(std::log(3.0))});
    check_value(compute(LossKind::cross_entropy, y, {1.0f}), -std::log(0.75));
  }
  SUBCASE("against the formula") {
    const int64_t rows = 5, classes = 4;
    std::vector<float> logits;
    for (int64_t i = 0; i < rows * classes; ++i) {
      logits.push_back(static_cast<float>(2.5 * std::sin(1.1 * i + 0.4)));
    }
    const std::vector<float> targets = {2.0f, 0.0f, 3.0f, 1.0f, 3.0f};
    check_value(
        compute(LossKind::cross_entropy, make_tensor(Shape{rows, classes}, logits), targets),
        cross_entropy_reference(logits, classes, targets));
  }
  SUBCASE("a single class costs nothing") {
    Tensor x = make_tensor(Shape{3, 1}, {5.0f, -7.0f, 0.0f});
    check_value(compute(LossKind::cross_entropy, x, {0.0f, 0.0f, 0.0f}), 0.0);
  }
  SUBCASE("large logits stay finite") {
    const std::vector<float> logits = {1000.0f,  -1000.0f, 0.0f,      // right and sure: ~0
                                       -1000.0f, 1000.0f,  0.0f,      // wrong and sure: 2000
                                       1000.0f,  1000.0f,  -1000.0f,  // tie, wrong: 2000 + log 2
                                       -1000.0f, -1000.0f, -999.0f};  // all very negative
    const std::vector<float> targets = {0.0f, 0.0f, 2.0f, 2.0f};
    const double expected = cross_entropy_reference(logits, 3, targets);
    const double by_hand =
        (0.0 + 2000.0 + (2000.0 + std::log(2.0)) + std::log1p(2.0 * std::exp(-1.0))) / 4.0;
    CHECK(std::fabs(expected - by_hand) < 1e-9 * by_hand);
    check_value(compute(LossKind::cross_entropy, make_tensor(Shape{4, 3}, logits), targets),
                expected);
  }
}

TEST_CASE("loss: CrossEntropyLoss rejects a bad class index naming the sample") {
  std::unique_ptr<Loss> loss = make_loss(LossKind::cross_entropy);
  Tensor x = make_tensor(Shape{3, 4},
                         {0.1f, 0.2f, 0.3f, 0.4f, 1.0f, 2.0f, 3.0f, 4.0f, -1.0f, 0.0f, 1.0f, 2.0f});
  const float bad_values[] = {1.5f,
                              0.25f,
                              -1.0f,
                              -0.5f,
                              4.0f,
                              4.5f,
                              100.0f,
                              3.0000002f,
                              std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
  for (int sample = 0; sample < 3; ++sample) {
    for (float bad : bad_values) {
      std::vector<float> targets = {0.0f, 3.0f, 1.0f};
      targets[sample] = bad;
      INFO("target " << static_cast<double>(bad) << " in sample " << sample);
      Error e = caught([&] { loss->compute(x, targets.data(), nullptr); });
      CHECK(e.status() == NNSTATE_ERR_INVALID_ARGUMENT);
      const std::string message = e.what();
      INFO("message: " << message);
      CHECK(message.find("sample " + std::to_string(sample)) != std::string::npos);
      Tensor grad(x.shape());
      CHECK(caught([&] { loss->compute(x, targets.data(), &grad); }).status() ==
            NNSTATE_ERR_INVALID_ARGUMENT);
    }
  }
  // The extremes of the valid range are accepted.
  std::vector<float> edge = {0.0f, 3.0f, 3.0f};
  check_value(
      loss->compute(x, edge.data(), nullptr),
      cross_entropy_reference(
          {0.1f, 0.2f, 0.3f, 0.4f, 1.0f, 2.0f, 3.0f, 4.0f, -1.0f, 0.0f, 1.0f, 2.0f}, 4, edge));
}

TEST_CASE("loss: BCEWithLogitsLoss") {
  SUBCASE("hand-computed") {
    // x = 0: log 2 whatever the target; x = ln 3 (sigmoid 3/4), y = 1: -log(3/4).
    Tensor x = make_tensor(Shape{3}, {0.0f, 0.0f, static_cast<float>(std::log(3.0))});
    check_value(compute(LossKind::bce_with_logits, x, {0.0f, 1.0f, 1.0f}),
                (2.0 * std::log(2.0) - std::log(0.75)) / 3.0);
  }
  SUBCASE("against the formula, hard and soft targets") {
    std::vector<float> x, y;
    for (int i = 0; i < 12; ++i) {
      x.push_back(static_cast<float>(4.0 * std::sin(0.9 * i + 0.1)));
      y.push_back(i % 3 == 0 ? 0.0f : i % 3 == 1 ? 1.0f : 0.3f);
    }
    check_value(compute(LossKind::bce_with_logits, make_tensor(Shape{3, 4}, x), y),
                bce_with_logits_reference(x, y));
  }
  SUBCASE("large logits stay finite") {
    const std::vector<float> x = {1000.0f, -1000.0f, 1000.0f, -1000.0f, 80.0f, -90.0f, 0.0f};
    const std::vector<float> y = {1.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.25f, 0.5f};
    const double expected = bce_with_logits_reference(x, y);
    const double by_hand = (0.0 + 0.0 + 1000.0 + 1000.0 + 80.0 + 0.25 * 90.0 + std::log(2.0)) / 7;
    CHECK(std::fabs(expected - by_hand) < 1e-9 * by_hand);
    check_value(compute(LossKind::bce_with_logits, make_tensor(Shape{7}, x), y), expected);
  }
}

TEST_CASE("loss: target_count and kinds") {
  std::unique_ptr<Loss> mse = make_loss(LossKind::mse);
  std::unique_ptr<Loss> ce = make_loss(LossKind::cross_entropy);
  std::unique_ptr<Loss> bce = make_loss(LossKind::bce_with_logits);
  CHECK(mse->kind() == LossKind::mse);
  CHECK(ce->kind() == LossKind::cross_entropy);
  CHECK(bce->kind() == LossKind::bce_with_logits);
  CHECK(std::string(loss_kind_name(LossKind::mse)) == "MSELoss");
  CHECK(std::string(loss_kind_name(LossKind::cross_entropy)) == "CrossEntropyLoss");
  CHECK(std::string(loss_kind_name(LossKind::bce_with_logits)) == "BCEWithLogitsLoss");

  CHECK(mse->target_count(Shape{5}) == 5);
  CHECK(mse->target_count(Shape{4, 3}) == 12);
  CHECK(mse->target_count(Shape{2, 3, 2, 2}) == 24);
  CHECK(bce->target_count(Shape{4, 1}) == 4);
  CHECK(bce->target_count(Shape{4, 3}) == 12);
  CHECK(ce->target_count(Shape{4, 3}) == 4);
  CHECK(ce->target_count(Shape{1, 10}) == 1);
  // Cross-entropy needs logits [N, C].
  CHECK(caught([&] { ce->target_count(Shape{6}); }).status() == NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(caught([&] { ce->target_count(Shape{2, 3, 4}); }).status() == NNSTATE_ERR_SHAPE_MISMATCH);

  CHECK(caught([] { make_loss(static_cast<LossKind>(99)); }).status() ==
        NNSTATE_ERR_INVALID_ARGUMENT);
}
