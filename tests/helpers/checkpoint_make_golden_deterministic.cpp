// Writes tests/data/v1/deterministic_trainer.nnst, the golden format 1.3 trainer checkpoint of a
// run in the deterministic mode (tests/unit/deterministic_golden_net.h), and prints the values
// that tests/unit/test_checkpoint_golden_deterministic.cpp pins. Run once; the file never
// changes:
//   checkpoint_make_golden_deterministic tests/data/v1/deterministic_trainer.nnst
#include <cstdio>

#include "deterministic_golden_net.h"
#include "golden_writer.h"
#include "util/error.h"

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  try {
    nnstate::Model model(47);
    deterministic_golden::build(model, 2);
    nnstate::Trainer trainer(model, deterministic_golden::config(5));
    const deterministic_golden::Data data;
    deterministic_golden::StopMidEpoch stop;
    golden_writer::train_and_save(model, trainer, data.dataset(), stop, argv[1],
                                  "golden v1.3 deterministic mode, chunks of 3");
    golden_writer::print_first_values(model);
  } catch (const nnstate::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
