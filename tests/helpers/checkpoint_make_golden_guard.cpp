// Writes tests/data/v1/guarded_trainer.nnst, the golden format 1.2 trainer checkpoint of a run
// with clipping, gradient accumulation and divergence rollback (tests/unit/guard_golden_net.h),
// saved mid-accumulation after two rollbacks, and prints the values that
// tests/unit/test_checkpoint_golden_guard.cpp pins. Run once at release; the file never changes:
//   checkpoint_make_golden_guard tests/data/v1/guarded_trainer.nnst
#include <cstdio>
#include <cstring>

#include "checkpoint/save.h"
#include "guard_golden_net.h"
#include "util/error.h"

namespace {

void print_bits(const char *name, const nnstate::Tensor &t) {
  std::printf("%s:", name);
  for (int64_t i = 0; i < 3 && i < t.numel(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, t.data() + i, sizeof bits);
    std::printf(" 0x%08xu", bits);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  try {
    nnstate::Model model(41);
    nnstate::testing::build_clip_mlp(model);
    nnstate::Trainer trainer(model, guard_golden::config(3));
    const guard_golden::Data data;
    guard_golden::StopMidGroup stop;
    trainer.fit(data.dataset(), nullptr, &stop);
    nnstate::checkpoint::SaveOptions options;
    options.trainer = &trainer;
    options.metadata = {{"purpose", "golden v1.2 clipped, accumulating, rolled-back trainer"}};
    nnstate::checkpoint::save(model, argv[1], options);
    const nnstate::TrainerState &s = trainer.state();
    std::printf(
        "epoch %lld global_step %lld batch_in_epoch %lld micro_in_group %lld "
        "optimizer_steps %lld snapshot_step %lld epoch_samples %lld epoch_skipped %lld\n",
        (long long)s.epoch, (long long)s.global_step, (long long)s.batch_in_epoch,
        (long long)s.micro_in_group, (long long)s.optimizer_steps, (long long)s.snapshot_step,
        (long long)s.epoch_samples, (long long)s.epoch_skipped);
    std::printf("loss_average %a loss_count %lld lr %a\n", s.loss_average, (long long)s.loss_count,
                model.optimizer()->lr());
    for (const nnstate::RollbackEvent &e : s.rollbacks) {
      std::printf("event epoch %lld batch %lld global_step %lld restored_step %lld lr %a\n",
                  (long long)e.epoch, (long long)e.batch, (long long)e.global_step,
                  (long long)e.restored_step, e.lr);
    }
    const nnstate::GradAccumulator &acc = trainer.accumulator();
    print_bits(("trainer.grad_accumulation." + acc.params()[2].name).c_str(), acc.sums()[2]);
    for (const auto &e : trainer.snapshot().entries(model)) {
      if (e.name == "2.bias" || e.name == "optimizer.2.weight.momentum_buffer") {
        print_bits(("rollback." + e.name).c_str(), *e.copy);
      }
    }
  } catch (const nnstate::Error &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
