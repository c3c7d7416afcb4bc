#include "checkpoint_exercise.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "nnstate/nnstate.h"

namespace {

// Every query of an open checkpoint; results are read so that nothing is optimised away.
void query_all(const nnstate_checkpoint *ck) {
  uint32_t major, minor;
  const char *text;
  int64_t i64[5];
  int32_t i32[3];
  double real;
  size_t count = 0;
  nnstate_checkpoint_format(ck, &major, &minor);
  nnstate_checkpoint_writer_version(ck, &text);
  nnstate_checkpoint_created(ck, &i64[0]);
  nnstate_checkpoint_environment(ck, &text, &i32[0]);
  if (nnstate_checkpoint_layer_count(ck, &count) == NNSTATE_OK) {
    for (size_t i = 0; i < count; ++i) nnstate_checkpoint_layer_kind(ck, i, &i32[0]);
  }
  if (nnstate_checkpoint_tensor_count(ck, &count) == NNSTATE_OK) {
    std::vector<float> copy;
    for (size_t i = 0; i < count; ++i) {
      const char *name = nullptr;
      int64_t dims[4];
      if (nnstate_checkpoint_tensor_info(ck, i, &name, &i32[0], &i32[1], &i32[2], dims) !=
          NNSTATE_OK) {
        continue;
      }
      const float *values = nullptr;
      size_t n = 0;
      if (nnstate_checkpoint_tensor_data(ck, name, &values, &n) == NNSTATE_OK && n > 0) {
        volatile float sink = values[0] + values[n - 1];
        (void)sink;
        if (n <= (size_t{1} << 20)) {  // bounded by the input's own size anyway
          copy.resize(n);
          nnstate_checkpoint_read_tensor(ck, name, copy.data(), n);
        }
      }
    }
  }
  nnstate_checkpoint_optimizer(ck, &i32[0], &i64[0]);
  nnstate_optimizer_options optimizer;
  nnstate_checkpoint_optimizer_options(ck, &optimizer);
  nnstate_checkpoint_loss(ck, &i32[0]);
  if (nnstate_checkpoint_metadata_count(ck, &count) == NNSTATE_OK) {
    const char *key = nullptr, *value = nullptr;
    for (size_t i = 0; i < count; ++i) nnstate_checkpoint_metadata_at(ck, i, &key, &value);
    nnstate_checkpoint_metadata_get(ck, "purpose", &value);
  }
  nnstate_checkpoint_trainer(ck, &i32[0], &i64[0], &i64[1], &i64[2]);
  if (nnstate_checkpoint_history_count(ck, &count) == NNSTATE_OK) {
    nnstate_epoch_info row;
    row.struct_size = sizeof row;
    for (size_t i = 0; i < count; ++i) nnstate_checkpoint_history_row(ck, i, &row);
  }
  nnstate_checkpoint_scheduler(ck, &i32[0], &i64[0], &real, &i64[1], &i64[2]);
  nnstate_checkpoint_early_stopping(ck, &i32[0], &text, &real, &i64[0], &i64[1], &i64[2]);
}

void open_and_query(const uint8_t *data, size_t size, int32_t verify_crc) {
  nnstate_load_options options;
  nnstate_load_options_init(&options);
  options.verify_crc = verify_crc;
  nnstate_checkpoint *ck = nullptr;
  if (nnstate_checkpoint_open_buffer(&ck, data, size, &options) == NNSTATE_OK) query_all(ck);
  nnstate_checkpoint_free(ck);
}

// The 4-8-3 MLP of the golden files mlp_adam.nnst and mlp_sgd_momentum.nnst: load_into's
// name and shape checks run against a network the input did not describe.
nnstate_network *fixed_network() {
  nnstate_network *net = nullptr;
  if (nnstate_network_create(&net, 1) != NNSTATE_OK) return nullptr;
  nnstate_network_add_linear(net, 4, 8, 1);
  nnstate_network_add_activation(net, NNSTATE_LAYER_RELU);
  nnstate_network_add_linear(net, 8, 3, 1);
  nnstate_network_set_loss(net, NNSTATE_LOSS_MSE);
  nnstate_optimizer_options adam;
  nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM);
  nnstate_network_set_optimizer(net, &adam);
  return net;
}

// A trainer set up like the one that wrote the input (scheduler kind and early stopping as the
// file says; batch size 12 as in the golden trainer file), then resumed from a file copy.
void resume_trainer(nnstate_network *net, const uint8_t *data, size_t size) {
  nnstate_checkpoint *ck = nullptr;
  nnstate_load_options options;
  nnstate_load_options_init(&options);
  options.verify_crc = 0;  // resume verifies everything itself
  if (nnstate_checkpoint_open_buffer(&ck, data, size, &options) != NNSTATE_OK) return;
  int32_t present = 0, scheduler_kind = NNSTATE_SCHEDULER_NONE, early_present = 0;
  int64_t i64[3];
  double real;
  const char *monitor = "val_loss";
  nnstate_checkpoint_trainer(ck, &present, &i64[0], &i64[1], &i64[2]);
  nnstate_checkpoint_scheduler(ck, &scheduler_kind, &i64[0], &real, &i64[1], &i64[2]);
  nnstate_checkpoint_early_stopping(ck, &early_present, &monitor, &real, &i64[0], &i64[1], &i64[2]);
  nnstate_trainer_options trainer_options;
  nnstate_trainer_options_init(&trainer_options);
  trainer_options.batch_size = 12;
  nnstate_scheduler_options scheduler;
  const bool has_scheduler =
      nnstate_scheduler_options_init(&scheduler, scheduler_kind) == NNSTATE_OK &&
      scheduler_kind != NNSTATE_SCHEDULER_NONE;
  nnstate_early_stopping_options early;
  nnstate_early_stopping_options_init(&early);
  const std::string early_monitor = monitor ? monitor : "val_loss";
  early.monitor = early_monitor.c_str();
  nnstate_trainer *trainer = nullptr;
  if (present &&
      nnstate_trainer_create(&trainer, net, &trainer_options, has_scheduler ? &scheduler : nullptr,
                             early_present ? &early : nullptr) == NNSTATE_OK) {
    // /dev/shm: a file in memory, one per process (libFuzzer may run several jobs).
    const std::string path = "/dev/shm/nnstate-fuzz-" + std::to_string(getpid()) + ".nnst";
    if (FILE *f = std::fopen(path.c_str(), "wb")) {
      const bool written = std::fwrite(data, 1, size, f) == size;
      if (std::fclose(f) == 0 && written) nnstate_trainer_resume(trainer, path.c_str());
      std::remove(path.c_str());
    }
  }
  nnstate_trainer_free(trainer);
  nnstate_checkpoint_free(ck);
}

}  // namespace

void exercise_checkpoint(const uint8_t *data, size_t size) {
  nnstate_checkpoint_verify_buffer(data, size);
  open_and_query(data, size, 1);
  open_and_query(data, size, 0);

  nnstate_load_options weights_only;
  nnstate_load_options_init(&weights_only);
  weights_only.what = NNSTATE_LOAD_WEIGHTS_ONLY;
  nnstate_network *net = nullptr;
  if (nnstate_checkpoint_load_buffer(&net, data, size, &weights_only) == NNSTATE_OK) {
    nnstate_checkpoint_load_into_buffer(net, data, size, &weights_only);
  }
  nnstate_network_free(net);
  net = nullptr;
  if (nnstate_checkpoint_load_buffer(&net, data, size, nullptr) == NNSTATE_OK) {
    nnstate_checkpoint_load_into_buffer(net, data, size, nullptr);
    resume_trainer(net, data, size);
  }
  nnstate_network_free(net);

  if (nnstate_network *fixed = fixed_network()) {
    nnstate_checkpoint_load_into_buffer(fixed, data, size, nullptr);
    nnstate_checkpoint_load_into_buffer(fixed, data, size, &weights_only);
    nnstate_network_free(fixed);
  }
}
