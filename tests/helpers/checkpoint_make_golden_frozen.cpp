// Writes tests/data/v1/frozen_groups_trainer.nnst, the golden format 1.3 trainer checkpoint of a
// run with frozen parameters and two param groups (tests/unit/frozen_golden_net.h), and prints
// the values that tests/unit/test_checkpoint_golden_frozen.cpp pins. Run once at release; the
// file never changes:
//   checkpoint_make_golden_frozen tests/data/v1/frozen_groups_trainer.nnst
#include <cstdio>

#include "frozen_golden_net.h"
#include "golden_writer.h"
#include "util/error.h"

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  try {
    nnstate::Model model(43);
    frozen_golden::build(model);
    nnstate::Trainer trainer(model, frozen_golden::config(12));
    const frozen_golden::Data data;
    frozen_golden::StopAfterReductions stop;
    golden_writer::train_and_save(model, trainer, data.dataset(), stop, argv[1],
                                  "golden v1.3 frozen backbone, two param groups");
    const nnstate::Optimizer &o = *model.optimizer();
    for (size_t g = 0; g < o.group_count(); ++g) std::printf("group %zu lr %a\n", g, o.group_lr(g));
    const nnstate::SchedulerState &st = trainer.scheduler()->state();
    std::printf("base %a group_base %a %a best %a bad %lld\n", st.base_lr, st.group_base_lrs[0],
                st.group_base_lrs[1], st.best, (long long)st.num_bad_epochs);
    golden_writer::print_first_values(model);
  } catch (const nnstate::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
