// nnstate C++ wrapper: nnstate::Dataset and nnstate::Trainer (part of nnstate.hpp).
#ifndef NNSTATE_CXX_TRAINER_HPP
#define NNSTATE_CXX_TRAINER_HPP

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nnstate/cxx/error.hpp"
#include "nnstate/cxx/network.hpp"
#include "nnstate/cxx/options.hpp"

namespace nnstate {

// Samples over caller memory (nnstate_dataset). It BORROWS the arrays: they must stay valid
// and unchanged while the dataset lives, so temporaries are refused at compile time.
class Dataset {
 public:
  Dataset(const float *inputs, size_t input_count, const float *targets, size_t target_count,
          size_t samples) {
    nnstate_dataset *raw = nullptr;
    check(nnstate_dataset_create(&raw, inputs, input_count, targets, target_count, samples));
    handle_ = Handle<nnstate_dataset, nnstate_dataset_free>(raw);
  }
  Dataset(const std::vector<float> &inputs, const std::vector<float> &targets, size_t samples)
      : Dataset(inputs.data(), inputs.size(), targets.data(), targets.size(), samples) {}
  Dataset(std::vector<float> &&, const std::vector<float> &, size_t) = delete;
  Dataset(const std::vector<float> &, std::vector<float> &&, size_t) = delete;
  Dataset(std::vector<float> &&, std::vector<float> &&, size_t) = delete;

  nnstate_dataset *get() const noexcept { return handle_.get(); }

 private:
  Handle<nnstate_dataset, nnstate_dataset_free> handle_;
};

// Where a run is: epochs completed, batches done in the run and in the current epoch.
struct Position {
  int64_t epoch = 0;
  int64_t global_step = 0;
  int64_t batch_in_epoch = 0;
};

// Called at each epoch's end and after each batch; return true to stop training there
// (resumably, as request_stop). An exception thrown by a callback stops training and is
// rethrown by fit.
using EpochCallback = std::function<bool(const nnstate_epoch_info &)>;
using BatchCallback = std::function<bool(const nnstate_batch_info &)>;

// The training loop over a network (nnstate_trainer). It BORROWS the network, which must
// outlive it and not be used elsewhere while fit runs.
class Trainer {
 public:
  // `scheduler` and `early_stopping` may be nullptr (none).
  Trainer(Network &network, const nnstate_trainer_options &options,
          const nnstate_scheduler_options *scheduler = nullptr,
          const nnstate_early_stopping_options *early_stopping = nullptr)
      : callbacks_(std::make_unique<Callbacks>()) {
    nnstate_trainer *raw = nullptr;
    check(nnstate_trainer_create(&raw, network.get(), &options, scheduler, early_stopping));
    handle_ = Handle<nnstate_trainer, nnstate_trainer_free>(raw);
  }

  // Replaces the callbacks (an empty function: none).
  void set_callbacks(EpochCallback on_epoch, BatchCallback on_batch = nullptr) {
    if (!callbacks_) callbacks_ = std::make_unique<Callbacks>();  // moved from: the call throws
    callbacks_->epoch = std::move(on_epoch);
    callbacks_->batch = std::move(on_batch);
    check(nnstate_trainer_set_callbacks(get(), callbacks_->epoch ? epoch_trampoline : nullptr,
                                        callbacks_->batch ? batch_trampoline : nullptr,
                                        callbacks_.get()));
  }

  // Trains until the epochs are complete, early stopping fires or a stop is requested, and
  // returns why (NNSTATE_STOP_*); calling it again continues where it stopped. `validation`
  // may be nullptr.
  int32_t fit(const Dataset &train, const Dataset *validation = nullptr) {
    int32_t reason = NNSTATE_STOP_COMPLETED;
    const nnstate_status status =
        nnstate_trainer_fit(get(), train.get(), validation ? validation->get() : nullptr, &reason);
    if (callbacks_ && callbacks_->error) {
      std::rethrow_exception(std::exchange(callbacks_->error, nullptr));
    }
    check(status);
    return reason;
  }
  // Asks a running fit to stop at the next batch boundary. Safe from another thread or a
  // signal handler (it neither allocates nor throws).
  void request_stop() noexcept { nnstate_trainer_request_stop(get()); }
  // The total number of epochs, e.g. to extend a completed run.
  void set_epochs(int64_t epochs) { check(nnstate_trainer_set_epochs(get(), epochs)); }

  // Gradient clipping and accumulation (nnstate_trainer_set_step_options), and divergence
  // rollback (nnstate_trainer_set_rollback): between fits, and before a resume.
  void set_step_options(const nnstate_step_options &options) {
    check(nnstate_trainer_set_step_options(get(), &options));
  }
  // ReduceLROnPlateau's min_lr of each param group besides the default (torch's min_lr list).
  void set_group_min_lr(const std::vector<double> &values) {
    check(nnstate_trainer_set_group_min_lr(get(), values.data(), values.size()));
  }
  void set_rollback(const nnstate_rollback_options &options) {
    check(nnstate_trainer_set_rollback(get(), &options));
  }
  // The run's rollbacks so far.
  std::vector<nnstate_rollback_event> rollbacks() const {
    size_t count = 0;
    check(nnstate_trainer_rollback_count(get(), &count));
    std::vector<nnstate_rollback_event> events(count);
    for (size_t i = 0; i < count; ++i) {
      events[i].struct_size = sizeof events[i];
      check(nnstate_trainer_rollback_event(get(), i, &events[i]));
    }
    return events;
  }

  Position position() const {
    Position p;
    check(nnstate_trainer_position(get(), &p.epoch, &p.global_step, &p.batch_in_epoch));
    return p;
  }
  // One row per completed epoch (epoch numbers 0-based, NaN where a value does not exist).
  std::vector<nnstate_epoch_info> history() const {
    size_t count = 0;
    check(nnstate_trainer_history_count(get(), &count));
    std::vector<nnstate_epoch_info> rows(count);
    for (size_t i = 0; i < count; ++i) {
      rows[i].struct_size = sizeof rows[i];
      check(nnstate_trainer_history_row(get(), i, &rows[i]));
    }
    return rows;
  }

  // The network and the whole training-loop state, crash-safely (nnstate_trainer_save).
  void save(const std::string &path, const Metadata &metadata = {}, bool fsync = true) {
    const SaveOptions options(metadata, fsync);
    check(nnstate_trainer_save(get(), path.c_str(), options.get()));
  }
  // Continues the run saved in `path` (nnstate_trainer_resume).
  void resume(const std::string &path) { check(nnstate_trainer_resume(get(), path.c_str())); }
  // Checkpoints written by fit itself (see checkpoint_policy); clear_checkpointing stops them.
  void set_checkpointing(const nnstate_checkpoint_policy &policy) {
    check(nnstate_trainer_set_checkpointing(get(), &policy));
  }
  void clear_checkpointing() { check(nnstate_trainer_set_checkpointing(get(), nullptr)); }
  // Resumes from the newest valid ckpt-*.nnst in `directory`; false when there is none.
  // Skipped files are reported in warnings(), also when this throws.
  bool resume_latest(const std::string &directory) {
    int32_t found = 0;
    check(nnstate_trainer_resume_latest(get(), directory.c_str(), &found));
    return found != 0;
  }
  // Waits for the policy's save in flight; throws if it failed (nnstate_trainer_flush_saves).
  void flush_saves() { check(nnstate_trainer_flush_saves(get())); }
  // Counters of the policy's saves (nnstate_trainer_save_stats).
  nnstate_save_stats save_stats() const {
    nnstate_save_stats s;
    s.struct_size = sizeof s;
    check(nnstate_trainer_save_stats(get(), &s));
    return s;
  }
  // Warnings of the last resume or fit, one per line ("" when none).
  std::string warnings() const { return nnstate_trainer_warnings(get()); }

  nnstate_trainer *get() const noexcept { return handle_.get(); }

 private:
  struct Callbacks {
    EpochCallback epoch;
    BatchCallback batch;
    std::exception_ptr error;  // thrown by a callback, rethrown by fit
  };
  // Exceptions must not cross the C library: they are kept and stop the fit.
  template <typename Info, typename Function>
  static int32_t call(Callbacks *callbacks, Function &function, const Info *info) noexcept {
    if (callbacks->error) return 1;
    try {
      return function(*info) ? 1 : 0;
    } catch (...) {
      callbacks->error = std::current_exception();
      return 1;
    }
  }
  static int32_t epoch_trampoline(const nnstate_epoch_info *info, void *user) {
    Callbacks *callbacks = static_cast<Callbacks *>(user);
    return call(callbacks, callbacks->epoch, info);
  }
  static int32_t batch_trampoline(const nnstate_batch_info *info, void *user) {
    Callbacks *callbacks = static_cast<Callbacks *>(user);
    return call(callbacks, callbacks->batch, info);
  }

  // Declared before the handle so that the trainer is freed first: it points at them.
  std::unique_ptr<Callbacks> callbacks_;
  Handle<nnstate_trainer, nnstate_trainer_free> handle_;
};

}  // namespace nnstate

#endif  // NNSTATE_CXX_TRAINER_HPP
