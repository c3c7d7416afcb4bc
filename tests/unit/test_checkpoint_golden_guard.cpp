// The golden format 1.2 trainer checkpoint (tests/data/v1/guarded_trainer.nnst, written once by
// tests/helpers/checkpoint_make_golden_guard.cpp): a run with clipping, accumulation over 3
// micro-batches and divergence rollback, saved mid-accumulation after two rollbacks. Its
// settings, counters, events, partial gradient sums and snapshot read back forever, and it
// resumes to the end of the run that wrote it.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "checkpoint/data.h"
#include "checkpoint/io.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "guard_golden_net.h"

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

const std::string kFile = std::string(NNSTATE_GOLDEN_DIR) + "/v1/guarded_trainer.nnst";

void check_first_bits(const Source &source, const Contents &c, const char *name,
                      std::initializer_list<uint32_t> expected) {
  const TensorEntry *e = c.find(name);
  REQUIRE_MESSAGE(e != nullptr, name);
  Tensor t(e->shape);
  read_tensors(source, c, {{e, t.data()}}, DataCheck::crc_and_padding);
  int64_t i = 0;
  for (uint32_t want : expected) {
    uint32_t got;
    std::memcpy(&got, t.data() + i, sizeof got);
    INFO(name << "[" << i << "]");
    CHECK(got == want);
    ++i;
  }
}

size_t count_role(const Contents &c, Role role) {
  size_t n = 0;
  for (const TensorEntry &e : c.tensors) n += e.role == role ? 1 : 0;
  return n;
}

std::vector<float> weights(Model &model) {
  std::vector<float> out;
  struct Walk : StateVisitor {
    std::vector<float> *out;
    void tensor(const std::string &, TensorRole, Tensor &v, Tensor *) override {
      out->insert(out->end(), v.data(), v.data() + v.numel());
    }
  } walk;
  walk.out = &out;
  model.network().visit_state(walk);
  return out;
}

}  // namespace

TEST_CASE("golden v1.2: clipping, accumulation and rollback state read back exactly") {
  FileSource source(kFile);
  const Contents c = read_contents(source);
  verify_data(source, c);
  CHECK(c.format_major == 1);
  CHECK(c.format_minor == 2);
  REQUIRE(c.has_trainer);
  CHECK(c.trainer_clip.max_norm == 0.5);
  CHECK(c.trainer_clip.norm_type == 2.0);
  CHECK(c.trainer_clip.clip_value == 0.25);
  CHECK(c.trainer_accumulate_steps == 3);
  REQUIRE(c.trainer_rollback.enabled);
  CHECK(c.trainer_rollback.snapshot_every == 2);
  CHECK(c.trainer_rollback.max_rollbacks == 5);
  const TrainerState &s = c.trainer;
  CHECK(s.epoch == 1);
  CHECK(s.global_step == 22);
  CHECK(s.batch_in_epoch == 10);
  CHECK(s.micro_in_group == 1);
  CHECK(s.optimizer_steps == 5);
  CHECK(s.snapshot_step == 4);
  CHECK(s.epoch_samples == 20);
  CHECK(s.epoch_skipped == 2);
  CHECK(s.loss_average == 0x1.3d35aa58bb742p-1);
  CHECK(s.loss_count == 20);
  CHECK_FALSE(s.diverged);
  REQUIRE(s.rollbacks.size() == 2);
  CHECK(s.rollbacks[0].epoch == 0);
  CHECK(s.rollbacks[0].batch == 12);
  CHECK(s.rollbacks[0].global_step == 12);
  CHECK(s.rollbacks[0].restored_step == 2);
  CHECK(s.rollbacks[0].lr == 0x1.999999999999ap-5);
  CHECK(std::isnan(s.rollbacks[0].loss));
  CHECK(s.rollbacks[1].epoch == 1);
  CHECK(s.rollbacks[1].batch == 9);
  CHECK(s.rollbacks[1].global_step == 21);
  CHECK(s.rollbacks[1].restored_step == 4);
  CHECK(s.rollbacks[1].lr == 0x1.999999999999ap-6);
  CHECK(s.rollbacks[1].reason == DivergenceReason::nonfinite_loss);
  CHECK(c.optimizer.lr == 0x1.999999999999ap-6);
  // The partial sums of the 4 parameters; the snapshot of 4 network tensors and 4 momentum
  // buffers with their steps (the optimizer's own count: 3, since the first rollback undid one
  // of the 4 updates done when the snapshot was taken).
  CHECK(count_role(c, Role::grad_accumulation) == 4);
  CHECK(count_role(c, Role::rollback_snapshot) == 8);
  CHECK(c.rollback_snapshot_steps == std::vector<int64_t>{3, 3, 3, 3});
  check_first_bits(source, c, "trainer.grad_accumulation.2.weight",
                   {0x3d2496f7u, 0x3c2cb5b3u, 0x00000000u});
  check_first_bits(source, c, "rollback.2.bias", {0x3e5eb9eau, 0xbeb82baeu});
  check_first_bits(source, c, "rollback.optimizer.2.weight.momentum_buffer",
                   {0xbe103690u, 0xbde08f53u, 0x3d7efc86u});
}

TEST_CASE("golden v1.2: the run resumes mid-accumulation and ends as the one that wrote it") {
  const guard_golden::Data data;
  Model straight(41);
  testing::build_clip_mlp(straight);
  Trainer straight_trainer(straight, guard_golden::config(3));
  straight_trainer.fit(data.dataset(), nullptr, nullptr);

  Model resumed(5);
  testing::build_clip_mlp(resumed);
  Trainer trainer(resumed, guard_golden::config(3));
  const MappedSource source(kFile, false);
  resume_trainer(trainer, source);
  CHECK(trainer.state().micro_in_group == 1);
  CHECK(trainer.fit(data.dataset(), nullptr, nullptr) == StopReason::completed);
  CHECK(trainer.state().rollbacks.size() == straight_trainer.state().rollbacks.size());
  CHECK(trainer.state().optimizer_steps == straight_trainer.state().optimizer_steps);
  // Bitwise in the build that wrote the file; another OpenBLAS kernel may differ in last bits.
  const std::vector<float> a = weights(straight), b = weights(resumed);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(b[i] == doctest::Approx(a[i]).epsilon(1e-5));
}
