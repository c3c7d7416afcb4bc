// Writes tests/data/v1/deterministic_trainer.nnst, the golden format 1.3 trainer checkpoint of a
// run in the deterministic mode (tests/unit/deterministic_golden_net.h), and prints the values
// that tests/unit/test_checkpoint_golden_deterministic.cpp pins. Run once; the file never
// changes:
//   checkpoint_make_golden_deterministic tests/data/v1/deterministic_trainer.nnst
#include <cstdio>
#include <cstring>

#include "checkpoint/save.h"
#include "deterministic_golden_net.h"
#include "util/error.h"

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  try {
    nnstate::Model model(47);
    deterministic_golden::build(model, 2);
    nnstate::Trainer trainer(model, deterministic_golden::config(5));
    const deterministic_golden::Data data;
    deterministic_golden::StopMidEpoch stop;
    trainer.fit(data.dataset(), nullptr, &stop);
    nnstate::checkpoint::SaveOptions options;
    options.trainer = &trainer;
    options.metadata = {{"purpose", "golden v1.3 deterministic mode, chunks of 3"}};
    nnstate::checkpoint::save(model, argv[1], options);
    const nnstate::TrainerState &s = trainer.state();
    std::printf("epoch %lld global_step %lld batch_in_epoch %lld\n", (long long)s.epoch,
                (long long)s.global_step, (long long)s.batch_in_epoch);
    for (const nnstate::TensorRef &r : model.trainable_parameters()) {
      uint32_t bits;
      std::memcpy(&bits, r.value->data(), sizeof bits);
      std::printf("%s[0] 0x%08xu\n", r.name.c_str(), bits);
    }
  } catch (const nnstate::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
