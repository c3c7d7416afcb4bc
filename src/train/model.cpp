#include "train/model.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>

#include "layers/factory.h"
#include "losses/metrics.h"
#include "parallel/blas_threads.h"
#include "train/frozen.h"
#include "train/network_tensors.h"
#include "util/error.h"

namespace nnstate {

Model::Model(uint64_t seed)
    : seed_(seed), init_rng_(seed, RngStream::init), dropout_rng_(seed, RngStream::dropout) {}

void Model::add_layer(const LayerConfig &config) {
  const int32_t last =
      network_.size() == 0 ? Graph::kNetworkInput : static_cast<int32_t>(network_.size() - 1);
  add_node(config, {last}, "");
}

size_t Model::add_node(const LayerConfig &config, const std::vector<int32_t> &inputs,
                       const std::string &name) {
  if (optimizer_) {
    fail(NNSTATE_ERR_STATE, "cannot add a layer after the optimizer is set");
  }
  // A refused layer must not consume initialisation randomness: later layers would otherwise
  // get different weights than in a program that never made the failing call.
  const RngState before = init_rng_.state();
  size_t index;
  try {
    index = network_.add(make_layer(config, &init_rng_), inputs, name);
  } catch (...) {
    init_rng_ = Rng(before);
    throw;
  }
  if (!frozen_.empty()) apply_frozen(network_, frozen_, frozen_batchnorm_eval_);
  return index;
}

void Model::set_loss(LossKind kind) {
  loss_ = make_loss(kind);
}

void Model::set_optimizer(const OptimizerConfig &config) {
  if (network_.size() == 0) fail(NNSTATE_ERR_STATE, "add layers before setting the optimizer");
  // A group may hold only frozen parameters, so its patterns are matched against them all.
  const std::vector<std::string> names = parameter_names(network_);
  for (size_t g = 0; g < config.groups.size(); ++g) {
    check_patterns_match(config.groups[g].params, names, "param group " + std::to_string(g));
  }
  optimizer_ = make_optimizer(config, trainable_parameters());
}

std::vector<TensorRef> Model::trainable_parameters() {
  std::vector<TensorRef> params = network_parameters(network_);
  if (frozen_.empty()) return params;
  params.erase(std::remove_if(params.begin(), params.end(),
                              [&](const TensorRef &p) { return is_frozen(p.name); }),
               params.end());
  return params;
}

bool Model::is_frozen(const std::string &name) const {
  return std::binary_search(frozen_.begin(), frozen_.end(), name);
}

void Model::set_requires_grad(const std::vector<std::string> &patterns, bool requires_grad) {
  const char *what = requires_grad ? "unfreeze" : "freeze";
  std::vector<std::string> selected = select_parameters(network_, patterns, what);
  std::vector<std::string> next;
  std::sort(selected.begin(), selected.end());
  if (requires_grad) {
    std::set_difference(frozen_.begin(), frozen_.end(), selected.begin(), selected.end(),
                        std::back_inserter(next));
  } else {
    std::set_union(frozen_.begin(), frozen_.end(), selected.begin(), selected.end(),
                   std::back_inserter(next));
  }
  if (next == frozen_) return;
  frozen_ = std::move(next);
  frozen_changed();
}

void Model::set_frozen(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "frozen parameter \"" +
                                           *std::adjacent_find(names.begin(), names.end()) +
                                           "\" is listed twice");
  }
  std::vector<std::string> params = parameter_names(network_);
  std::sort(params.begin(), params.end());
  for (const std::string &n : names) {
    if (!std::binary_search(params.begin(), params.end(), n)) {
      fail(NNSTATE_ERR_NOT_FOUND, "frozen tensor \"" + n + "\" is not a parameter of the network");
    }
  }
  if (names == frozen_) return;
  frozen_ = std::move(names);
  frozen_changed();
}

// The chunk replicas of the deterministic mode run every node in the pass's mode, so a frozen
// module's BatchNorm cannot be kept in eval mode there (yet): refused rather than ignored.
static void refuse_chunked_frozen_batchnorm_eval() {
  fail(NNSTATE_ERR_STATE,
       "the deterministic (chunked) mode and frozen BatchNorm in eval mode cannot be combined yet: "
       "turn one of them off");
}

void Model::set_frozen_batchnorm_eval(bool eval) {
  if (eval && chunked_) refuse_chunked_frozen_batchnorm_eval();
  frozen_batchnorm_eval_ = eval;
  apply_frozen(network_, frozen_, frozen_batchnorm_eval_);
}

// A new optimizer over the trainable parameters with the same options and current rates; the
// state of every parameter that trained before moves over by name.
void Model::frozen_changed() {
  apply_frozen(network_, frozen_, frozen_batchnorm_eval_);
  if (!optimizer_) return;
  struct Kept {
    int64_t step = 0;
    std::map<std::string, Tensor> tensors;
  };
  struct Take : OptimizerStateVisitor {
    std::map<std::string, Kept> kept;
    void step(const std::string &param, int64_t &step) override { kept[param].step = step; }
    void tensor(const std::string &param, const char *state, Tensor &value) override {
      kept[param].tensors[state] = std::move(value);
    }
  };
  struct Give : OptimizerStateVisitor {
    std::map<std::string, Kept> *kept;
    void step(const std::string &param, int64_t &step) override {
      auto it = kept->find(param);
      if (it != kept->end()) step = it->second.step;
    }
    void tensor(const std::string &param, const char *state, Tensor &value) override {
      auto it = kept->find(param);
      if (it != kept->end()) value = std::move(it->second.tensors.at(state));
    }
  };
  std::unique_ptr<Optimizer> next = make_optimizer(optimizer_->config(), trainable_parameters());
  Take take;
  optimizer_->visit_state(take);
  Give give;
  give.kept = &take.kept;
  next->visit_state(give);
  optimizer_ = std::move(next);
}

Loss &Model::require_loss() {
  if (!loss_) fail(NNSTATE_ERR_STATE, "no loss is set");
  return *loss_;
}

void Model::set_deterministic(int64_t chunk_size, int64_t threads) {
  if (chunk_size < 0 || chunk_size > (int64_t{1} << 30) || threads < 0 || threads > 1024) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "deterministic mode: chunk_size must be in [0, 2^30] (0: off) and threads in [0, 1024] "
         "(0: OpenBLAS's count), got chunk_size " +
             std::to_string(chunk_size) + ", threads " + std::to_string(threads));
  }
  if (chunk_size == 0) {
    chunked_.reset();
    return;
  }
  if (frozen_batchnorm_eval_) refuse_chunked_frozen_batchnorm_eval();
  const int64_t pool = threads > 0 ? threads : std::max(1, blas_threads());
  chunked_ = std::make_unique<ChunkedNetwork>(network_, chunk_size, pool);
  chunked_->set_collective(collective_.get());
  chunked_->set_batchnorm_synchronised(batchnorm_synchronised_);
}

void Model::set_batchnorm_synchronised(bool synchronised) {
  if (chunked_) chunked_->set_batchnorm_synchronised(synchronised);
  batchnorm_synchronised_ = synchronised;
}

void Model::set_collective(std::shared_ptr<Collective> collective) {
  if (chunked_) chunked_->set_collective(collective.get());
  collective_ = std::move(collective);
}

const Tensor &Model::run_forward(const float *inputs, int64_t input_count, int64_t batch,
                                 bool training) {
  check_inputs(input_count, batch);
  RunContext context;
  context.training = training;
  context.dropout_rng = &dropout_rng_;
  return network_.forward(inputs, batch, context);
}

void Model::check_inputs(int64_t input_count, int64_t batch) const {
  // A caller's batch size and input count are checked here, before the division below and
  // before a forward pass reads batch samples from `inputs`.
  if (batch <= 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "batch size must be positive, got " + std::to_string(batch));
  }
  const int64_t per_sample = network_.sample_input_size();
  if (input_count / batch != per_sample || input_count % batch != 0) {
    // The product is for the message only; a batch that large can never match.
    int64_t expected = 0;
    const std::string floats = __builtin_mul_overflow(batch, per_sample, &expected)
                                   ? "more than " + std::to_string(INT64_MAX)
                                   : std::to_string(expected);
    fail(NNSTATE_ERR_SHAPE_MISMATCH, "inputs: expected " + std::to_string(batch) +
                                         " samples of shape " +
                                         network_.sample_input_shape().to_string() + " = " +
                                         floats + " floats, got " + std::to_string(input_count));
  }
}

void Model::check_targets(const Shape &output, int64_t target_count) const {
  const int64_t expected = loss_->target_count(output);
  if (target_count != expected) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, std::string("targets: ") + loss_kind_name(loss_->kind()) +
                                         " on outputs " + output.to_string() + " expects " +
                                         std::to_string(expected) + " target values, got " +
                                         std::to_string(target_count));
  }
}

float Model::train_step(const float *inputs, int64_t input_count, const float *targets,
                        int64_t target_count, int64_t batch, int64_t *correct) {
  if (!optimizer_) fail(NNSTATE_ERR_STATE, "no optimizer is set");
  const float value = forward_loss(inputs, input_count, targets, target_count, batch, correct);
  backward();
  optimizer_->step();
  return value;
}

float Model::forward_loss(const float *inputs, int64_t input_count, const float *targets,
                          int64_t target_count, int64_t batch, int64_t *correct) {
  Loss &loss = require_loss();
  if (!optimizer_) fail(NNSTATE_ERR_STATE, "no optimizer is set");
  if (chunked_) {
    check_inputs(input_count, batch);
    check_targets(network_.sample_output_shape().batched(batch), target_count);
    return chunked_->forward_loss(inputs, targets, batch, true, true, loss, dropout_rng_, correct);
  }
  const Tensor &output = run_forward(inputs, input_count, batch, true);
  check_targets(output.shape(), target_count);
  const float value = loss.compute(output, targets, &network_.output_grad());
  if (correct) *correct = count_correct(loss.kind(), output, targets);
  return value;
}

void Model::backward(float loss_scale) {
  if (chunked_) {
    chunked_->backward(loss_scale);
    return;
  }
  if (loss_scale != 1.0f) {
    Tensor &grad = network_.output_grad();
    float *g = grad.data();
    for (int64_t i = 0; i < grad.numel(); ++i) g[i] *= loss_scale;
  }
  network_.backward();
}

float Model::evaluate(const float *inputs, int64_t input_count, const float *targets,
                      int64_t target_count, int64_t batch, int64_t *correct) {
  Loss &loss = require_loss();
  if (chunked_) {
    check_inputs(input_count, batch);
    check_targets(network_.sample_output_shape().batched(batch), target_count);
    return chunked_->forward_loss(inputs, targets, batch, inference_training_, false, loss,
                                  dropout_rng_, correct);
  }
  const Tensor &output = run_forward(inputs, input_count, batch, inference_training_);
  check_targets(output.shape(), target_count);
  float value = loss.compute(output, targets, nullptr);
  if (correct) *correct = count_correct(loss.kind(), output, targets);
  return value;
}

void Model::predict(const float *inputs, int64_t input_count, int64_t batch, float *outputs,
                    int64_t output_count) {
  if (chunked_) {
    check_inputs(input_count, batch);
    check_outputs(network_.sample_output_shape().batched(batch), output_count);
    chunked_->predict(inputs, batch, inference_training_, dropout_rng_, outputs);
    return;
  }
  const Tensor &output = run_forward(inputs, input_count, batch, inference_training_);
  check_outputs(output.shape(), output_count);
  std::memcpy(outputs, output.data(), output.byte_size());
}

void Model::check_outputs(const Shape &output, int64_t output_count) const {
  if (output_count != output.numel()) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, "outputs: the network produces " + output.to_string() + " = " +
                                         std::to_string(output.numel()) +
                                         " floats, the buffer holds " +
                                         std::to_string(output_count));
  }
}

}  // namespace nnstate
