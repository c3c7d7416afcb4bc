// What the C++ golden-file writers share: train until the run's observer stops it, save the
// whole trainer, print the position, and print each trainable parameter's first value as bits
// for the test to pin.
#pragma once

#include <cstdio>
#include <cstring>
#include <string>

#include "checkpoint/save.h"
#include "train/trainer.h"

namespace golden_writer {

inline void train_and_save(nnstate::Model &model, nnstate::Trainer &trainer,
                           const nnstate::Dataset &data, nnstate::TrainerObserver &stop,
                           const char *path, const std::string &purpose) {
  trainer.fit(data, nullptr, &stop);
  nnstate::checkpoint::SaveOptions options;
  options.trainer = &trainer;
  options.metadata = {{"purpose", purpose}};
  nnstate::checkpoint::save(model, path, options);
  const nnstate::TrainerState &s = trainer.state();
  std::printf("epoch %lld global_step %lld batch_in_epoch %lld\n", (long long)s.epoch,
              (long long)s.global_step, (long long)s.batch_in_epoch);
}

inline void print_first_values(nnstate::Model &model) {
  for (const nnstate::TensorRef &r : model.trainable_parameters()) {
    uint32_t bits;
    std::memcpy(&bits, r.value->data(), sizeof bits);
    std::printf("%s[0] 0x%08xu\n", r.name.c_str(), bits);
  }
}

}  // namespace golden_writer
