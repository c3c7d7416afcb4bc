#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "losses/metrics.h"
#include "train/network_tensors.h"
#include "util/error.h"

namespace nnstate {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The sample-weighted mean loss of the epoch's trained (not skipped) samples; NaN when none.
double epoch_mean_loss(const TrainerState &s) {
  const int64_t trained = s.epoch_samples - s.epoch_skipped;
  return trained > 0 ? s.epoch_loss_sum / static_cast<double>(trained) : kNaN;
}

// What the constructor and set_step_options both refuse.
void validate_step_options(const GradClipConfig &clip, int64_t accumulate_steps) {
  validate_grad_clip_config(clip);
  if (accumulate_steps < 1) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "accumulate_steps must be >= 1, got " + std::to_string(accumulate_steps));
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A metric the run will produce: refuses monitors that would never have a value.
void check_monitor(const std::string &monitor, bool has_validation, LossKind loss,
                   const char *who) {
  require_history_metric(monitor, who);
  if (monitor.rfind("val_", 0) == 0 && !has_validation) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         std::string(who) + " monitors \"" + monitor + "\" but fit() has no validation set");
  }
  if (monitor.find("accuracy") != std::string::npos && !has_accuracy(loss)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(who) + " monitors \"" + monitor + "\" but " +
                                           loss_kind_name(loss) + " has no accuracy");
  }
}

}  // namespace

Trainer::Trainer(Model &model, const TrainerConfig &config) : model_(model), config_(config) {
  if (!model.loss() || !model.optimizer()) {
    fail(NNSTATE_ERR_STATE, "the trainer needs a model with a loss and an optimizer");
  }
  if (config.epochs < 0 || config.batch_size <= 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "epochs must be >= 0 and batch_size > 0, got epochs " +
                                           std::to_string(config.epochs) + ", batch_size " +
                                           std::to_string(config.batch_size));
  }
  validate_step_options(config.clip, config.accumulate_steps);
  validate_rollback_config(config.rollback);
  params_ = model.trainable_parameters();
  if (config.accumulate_steps > 1) accumulator_.bind(params_);
  if (config.scheduler.kind != SchedulerKind::none) {
    scheduler_ = std::make_unique<LrScheduler>(config.scheduler, *model.optimizer());
  }
  if (config.scheduler.kind == SchedulerKind::reduce_on_plateau) {
    require_history_metric(config.scheduler_monitor, "ReduceLROnPlateau");
  }
  if (config.early_stopping) {
    require_history_metric(config.early_stopping_config.monitor, "early stopping");
    early_stopping_ = std::make_unique<EarlyStopping>(config.early_stopping_config);
  }
  state_.epoch_shuffle_rng = Rng(model.seed(), RngStream::shuffle).state();
}

void Trainer::set_epochs(int64_t epochs) {
  if (epochs < 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "epochs must be >= 0, got " + std::to_string(epochs));
  }
  config_.epochs = epochs;
}

void Trainer::set_step_options(const GradClipConfig &clip, int64_t accumulate_steps) {
  validate_step_options(clip, accumulate_steps);
  if (state_.micro_in_group > 0 && accumulate_steps != config_.accumulate_steps) {
    fail(NNSTATE_ERR_STATE, "cannot change accumulate_steps from " +
                                std::to_string(config_.accumulate_steps) + " to " +
                                std::to_string(accumulate_steps) + " with " +
                                std::to_string(state_.micro_in_group) +
                                " micro-batches of the current group accumulated");
  }
  config_.clip = clip;
  config_.accumulate_steps = accumulate_steps;
  if (accumulate_steps > 1 && accumulator_.sums().empty()) accumulator_.bind(params_);
}

void Trainer::set_group_min_lr(std::vector<double> values) {
  if (!scheduler_) fail(NNSTATE_ERR_STATE, "a per-group min_lr needs ReduceLROnPlateau, not none");
  scheduler_->set_group_min_lr(values, *model_.optimizer());
  config_.scheduler.group_min_lr = std::move(values);
}

void Trainer::refresh_parameters() {
  std::vector<TensorRef> params = model_.trainable_parameters();
  auto same = [&] {
    if (params.size() != params_.size()) return false;
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].name != params_[i].name) return false;
    }
    return true;
  };
  if (same()) return;
  if (state_.micro_in_group > 0) {
    fail(NNSTATE_ERR_STATE, "the frozen parameters changed with " +
                                std::to_string(state_.micro_in_group) +
                                " micro-batches of an accumulation group summed");
  }
  params_ = std::move(params);
  if (config_.accumulate_steps > 1) accumulator_.bind(params_);
  // The snapshot copies the old optimizer's state: the next fit takes a new one.
  state_.snapshot_step = -1;
}

void Trainer::set_rollback(const RollbackConfig &rollback) {
  validate_rollback_config(rollback);
  config_.rollback = rollback;
}

void Trainer::check_datasets(const Dataset &train, const Dataset *validation) const {
  const int64_t input_size = model_.network().sample_input_size();
  const Shape one_output = model_.network().sample_output_shape().batched(1);
  const int64_t target_size = model_.loss()->target_count(one_output);
  auto check = [&](const Dataset &d, const char *which) {
    if (!d.inputs || !d.targets || d.samples <= 0) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           std::string(which) + " dataset is empty or has NULL arrays");
    }
    if (d.input_size != input_size || d.target_size != target_size) {
      fail(NNSTATE_ERR_SHAPE_MISMATCH,
           std::string(which) + " dataset has " + std::to_string(d.input_size) + " inputs and " +
               std::to_string(d.target_size) + " targets per sample; the network takes " +
               std::to_string(input_size) + " and " + loss_kind_name(model_.loss()->kind()) +
               " needs " + std::to_string(target_size));
    }
  };
  check(train, "the training");
  if (validation) check(*validation, "the validation");
  const LossKind loss = model_.loss()->kind();
  if (early_stopping_) {
    check_monitor(config_.early_stopping_config.monitor, validation, loss, "early stopping");
  }
  if (scheduler_ && config_.scheduler.kind == SchedulerKind::reduce_on_plateau) {
    check_monitor(config_.scheduler_monitor, validation, loss, "ReduceLROnPlateau");
  }
}

// The epoch's sample order, drawn from the shuffle stream as it was at the epoch's start, so a
// run resumed mid-epoch sees the same order.
void Trainer::shuffle_into(std::vector<int64_t> &order, int64_t samples) {
  order.resize(static_cast<size_t>(samples));
  std::iota(order.begin(), order.end(), int64_t{0});
  shuffle_rng_after_epoch_ = state_.epoch_shuffle_rng;
  if (!config_.shuffle) return;
  if (samples > static_cast<int64_t>(UINT32_MAX)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "shuffling supports up to 2^32 samples");
  }
  Rng rng(state_.epoch_shuffle_rng);
  for (int64_t i = samples - 1; i > 0; --i) {
    int64_t j = rng.below(static_cast<uint32_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  shuffle_rng_after_epoch_ = rng.state();
}

bool Trainer::run_batch(const Dataset &train, const std::vector<int64_t> &order, int64_t start,
                        int64_t count, bool last_of_epoch) {
  last_grad_norm_ = kNaN;
  last_skipped_ = false;
  if (state_.skip_remaining > 0) {
    state_.skip_remaining -= 1;
    skip_batch(count);
    return true;
  }
  const int64_t in = train.input_size, tg = train.target_size;
  batch_inputs_.resize(static_cast<size_t>(config_.batch_size * in));
  batch_targets_.resize(static_cast<size_t>(config_.batch_size * tg));
  for (int64_t k = 0; k < count; ++k) {
    const int64_t s = order[static_cast<size_t>(start + k)];
    std::copy(train.inputs + s * in, train.inputs + (s + 1) * in, batch_inputs_.data() + k * in);
    std::copy(train.targets + s * tg, train.targets + (s + 1) * tg, batch_targets_.data() + k * tg);
  }
  int64_t correct = 0;
  const float loss = model_.forward_loss(batch_inputs_.data(), count * in, batch_targets_.data(),
                                         count * tg, count, &correct);
  DivergenceReason reason;
  if (diverges(loss, reason)) {
    skip_batch(count);
    return roll_back(loss, reason);
  }
  const int64_t k = config_.accumulate_steps;
  model_.backward(k > 1 ? 1.0f / static_cast<float>(k) : 1.0f);
  if (k > 1 && state_.micro_in_group + 1 < k && !last_of_epoch) {
    accumulator_.add(state_.micro_in_group == 0);
    state_.micro_in_group += 1;
  } else {
    if (state_.micro_in_group > 0) accumulator_.add_into_grads();
    state_.micro_in_group = 0;
    if (!update()) {
      skip_batch(count);
      return roll_back(loss, DivergenceReason::nonfinite_grad_norm);
    }
  }
  if (config_.rollback.enabled) {
    const double w = state_.loss_count == 0 ? 1.0 : kLossAverageWeight;
    state_.loss_average = (1.0 - w) * state_.loss_average + w * static_cast<double>(loss);
    state_.loss_count += 1;
  }
  state_.epoch_loss_sum += static_cast<double>(loss) * static_cast<double>(count);
  state_.epoch_samples += count;
  state_.epoch_correct += correct;
  state_.epoch_judged += accuracy_denominator(
      model_.loss()->kind(), model_.network().sample_output_shape().batched(count));
  return true;
}

// A batch consumed without training: it keeps its place in the epoch (so the position checks
// hold) but adds nothing to the epoch's loss and accuracy.
void Trainer::skip_batch(int64_t count) {
  last_skipped_ = true;
  state_.epoch_samples += count;
  state_.epoch_skipped += count;
}

bool Trainer::diverges(float loss, DivergenceReason &reason) const {
  const RollbackConfig &r = config_.rollback;
  if (!r.enabled) return false;
  if (!std::isfinite(loss)) {
    reason = DivergenceReason::nonfinite_loss;
    return true;
  }
  if (r.spike_factor > 0.0 && state_.loss_count >= kLossAverageWarmup &&
      static_cast<double>(loss) > r.spike_factor * state_.loss_average) {
    reason = DivergenceReason::loss_spike;
    return true;
  }
  return false;
}

bool Trainer::roll_back(float loss, DivergenceReason reason) {
  RollbackEvent event;
  event.epoch = state_.epoch;
  event.batch = state_.batch_in_epoch + 1;
  event.global_step = state_.global_step + 1;
  event.restored_step = state_.snapshot_step;
  event.loss = static_cast<double>(loss);
  event.reason = reason;
  // The offending group's sums are dropped with it; the model goes back to the snapshot even
  // when the run gives up, so that what it saves last is the good state.
  state_.micro_in_group = 0;
  snapshot_.restore(model_);
  Optimizer &optimizer = *model_.optimizer();
  event.gave_up = static_cast<int64_t>(state_.rollbacks.size()) >= config_.rollback.max_rollbacks;
  if (event.gave_up) {
    state_.diverged = true;
  } else {
    for (size_t g = 0; g < optimizer.group_count(); ++g) {
      optimizer.set_group_lr(g, optimizer.group_lr(g) * config_.rollback.lr_factor);
    }
    state_.skip_remaining = config_.rollback.skip_batches - 1;
  }
  event.lr = optimizer.lr();
  state_.rollbacks.push_back(event);
  return !event.gave_up;
}

bool Trainer::update() {
  const GradClipConfig &clip = config_.clip;
  if (clip.clips_value()) clip_grad_value(params_, clip.clip_value);
  if (clip.clips_norm()) {
    const float total = grad_total_norm(params_, clip.norm_type);
    if (!std::isfinite(total) && config_.rollback.enabled) return false;
    if (!std::isfinite(total) && clip.error_if_nonfinite) check_finite_norm(total, clip.norm_type);
    scale_grads_to_norm(params_, clip.max_norm, total);
    last_grad_norm_ = total;
  }
  model_.optimizer()->step();
  state_.optimizer_steps += 1;
  if (scheduler_ && config_.scheduler.per_batch) scheduler_->step(*model_.optimizer());
  if (config_.rollback.enabled && state_.optimizer_steps % config_.rollback.snapshot_every == 0 &&
      snapshot_.take(model_)) {
    state_.snapshot_step = state_.optimizer_steps;
  }
  return true;
}

// Validation always runs in eval mode (like Keras' fit), whatever mode the caller left the
// network in for predict(): that mode is not training state and a resumed run must match.
void Trainer::evaluate(const Dataset &data, HistoryRow &row) {
  struct EvalMode {
    Model &model;
    const bool saved;
    explicit EvalMode(Model &m) : model(m), saved(m.inference_training()) {
      m.set_inference_training(false);
    }
    ~EvalMode() { model.set_inference_training(saved); }
  } eval_mode(model_);
  const int64_t in = data.input_size, tg = data.target_size;
  double loss_sum = 0.0;
  int64_t correct_sum = 0, judged = 0;
  for (int64_t start = 0; start < data.samples; start += config_.batch_size) {
    const int64_t count = std::min(config_.batch_size, data.samples - start);
    int64_t correct = 0;
    const float loss = model_.evaluate(data.inputs + start * in, count * in,
                                       data.targets + start * tg, count * tg, count, &correct);
    loss_sum += static_cast<double>(loss) * static_cast<double>(count);
    correct_sum += correct;
    judged += accuracy_denominator(model_.loss()->kind(),
                                   model_.network().sample_output_shape().batched(count));
  }
  row.val_loss = loss_sum / static_cast<double>(data.samples);
  row.val_accuracy = judged ? static_cast<double>(correct_sum) / static_cast<double>(judged) : kNaN;
}

bool Trainer::finish_epoch(const Dataset *validation, TrainerObserver *observer,
                           StopReason &reason) {
  HistoryRow row;
  row.epoch = state_.epoch;
  row.loss = epoch_mean_loss(state_);
  row.accuracy = state_.epoch_judged ? static_cast<double>(state_.epoch_correct) /
                                           static_cast<double>(state_.epoch_judged)
                                     : kNaN;
  row.val_loss = row.val_accuracy = kNaN;
  if (validation) evaluate(*validation, row);
  row.lr = model_.optimizer()->lr();
  row.seconds = state_.epoch_seconds;
  state_.history.push_back(row);

  // The next epoch starts from the shuffle stream advanced past this epoch's permutation.
  state_.epoch_shuffle_rng = shuffle_rng_after_epoch_;
  state_.epoch += 1;
  state_.batch_in_epoch = 0;
  state_.epoch_loss_sum = 0.0;
  state_.epoch_samples = state_.epoch_correct = state_.epoch_judged = 0;
  state_.epoch_skipped = 0;
  state_.epoch_seconds = 0.0;

  bool stop = false;
  if (observer && !observer->on_epoch_end(row)) {
    stop = true;
    reason = StopReason::requested;
  }
  if (early_stopping_ && early_stopping_->on_epoch_end(
                             row.epoch, history_metric(row, config_.early_stopping_config.monitor),
                             network_tensors(model_.network()))) {
    stop = true;
    reason = StopReason::early_stopping;
    state_.stopped_early = true;
  }
  if (scheduler_ && !config_.scheduler.per_batch) {
    if (config_.scheduler.kind == SchedulerKind::reduce_on_plateau) {
      scheduler_->step(*model_.optimizer(), history_metric(row, config_.scheduler_monitor));
    } else {
      scheduler_->step(*model_.optimizer());
    }
  }
  return stop;
}

// A restored position must lie inside an epoch of this dataset, else the epoch would end early
// (or late) and the run would silently differ from an uninterrupted one.
void Trainer::check_position(int64_t samples, int64_t batches) const {
  const int64_t done = state_.batch_in_epoch;
  if (done > batches) {
    fail(NNSTATE_ERR_STATE, "the trainer is at batch " + std::to_string(done) +
                                " of the epoch, but an epoch of " + std::to_string(samples) +
                                " samples in batches of " + std::to_string(config_.batch_size) +
                                " has " + std::to_string(batches));
  }
  if (state_.micro_in_group >= config_.accumulate_steps || state_.micro_in_group > done) {
    fail(NNSTATE_ERR_STATE, "the trainer has " + std::to_string(state_.micro_in_group) +
                                " micro-batches accumulated at batch " + std::to_string(done) +
                                " of the epoch with accumulate_steps " +
                                std::to_string(config_.accumulate_steps));
  }
  const int64_t expected = std::min(done * config_.batch_size, samples);
  if (state_.epoch_samples != expected) {
    fail(NNSTATE_ERR_STATE, "the trainer has seen " + std::to_string(state_.epoch_samples) +
                                " samples of the epoch, but " + std::to_string(done) +
                                " batches of this dataset hold " + std::to_string(expected));
  }
}

StopReason Trainer::fit(const Dataset &train, const Dataset *validation,
                        TrainerObserver *observer) {
  check_datasets(train, validation);
  refresh_parameters();
  stop_requested_.store(false);
  if (state_.stopped_early) return StopReason::early_stopping;
  if (state_.diverged) return StopReason::diverged;
  // A run starts with a snapshot to roll back to; a resumed one has the file's.
  if (config_.rollback.enabled && state_.snapshot_step < 0 && snapshot_.take(model_)) {
    state_.snapshot_step = state_.optimizer_steps;
  }

  const int64_t batches = config_.drop_last
                              ? train.samples / config_.batch_size
                              : (train.samples + config_.batch_size - 1) / config_.batch_size;
  if (batches == 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "drop_last with batch_size " + std::to_string(config_.batch_size) +
             " leaves no batch of " + std::to_string(train.samples) + " samples");
  }
  check_position(train.samples, batches);
  std::vector<int64_t> order;
  StopReason reason = StopReason::completed;
  bool stop = false;
  while (!stop && state_.epoch < config_.epochs) {
    shuffle_into(order, train.samples);
    while (state_.batch_in_epoch < batches) {
      if (stop_requested_.load()) {
        reason = StopReason::requested;
        stop = true;
        break;
      }
      const auto started = std::chrono::steady_clock::now();
      const int64_t start = state_.batch_in_epoch * config_.batch_size;
      const int64_t count = std::min(config_.batch_size, train.samples - start);
      const bool go_on =
          run_batch(train, order, start, count, state_.batch_in_epoch + 1 == batches);
      state_.batch_in_epoch += 1;
      state_.global_step += 1;
      state_.epoch_seconds += seconds_since(started);
      BatchInfo info;
      info.epoch = state_.epoch;
      info.batch = state_.batch_in_epoch;
      info.batches_per_epoch = batches;
      info.global_step = state_.global_step;
      info.loss = epoch_mean_loss(state_);
      info.samples = count;
      info.grad_norm = last_grad_norm_;
      info.optimizer_steps = state_.optimizer_steps;
      info.skipped = last_skipped_;
      if (observer && !observer->on_batch_end(info)) {
        reason = StopReason::requested;
        stop = true;
      }
      if (!go_on) {
        reason = StopReason::diverged;
        stop = true;
      }
      if (observer) observer->after_batch(*this);
      if (stop) break;
    }
    if (stop) break;
    const auto started = std::chrono::steady_clock::now();
    stop = finish_epoch(validation, observer, reason);
    if (!state_.history.empty()) state_.history.back().seconds += seconds_since(started);
    if (stop && reason == StopReason::early_stopping)
      early_stopping_->on_train_end(network_tensors(model_.network()));
    if (observer) observer->after_epoch(*this);
  }
  if (!stop && early_stopping_) early_stopping_->on_train_end(network_tensors(model_.network()));
  if (observer) observer->on_stop(*this);
  return reason;
}

}  // namespace nnstate
