// The golden format 1.3 trainer checkpoint (tests/data/v1/frozen_groups_trainer.nnst, written once
// by tests/helpers/checkpoint_make_golden_frozen.cpp): frozen parameters with BatchNorm in eval
// mode, Adam over two param groups with their own options, ReduceLROnPlateau with a per-group
// min_lr, saved mid-epoch after reductions. Its frozen set, groups and per-group schedule read
// back forever, and it resumes to the end of the run that wrote it.
#include <doctest/doctest.h>

#include <cstring>

#include "checkpoint/data.h"
#include "checkpoint/io.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "frozen_golden_net.h"
#include "golden_bits.h"

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

const std::string kFile = std::string(NNSTATE_GOLDEN_DIR) + "/v1/frozen_groups_trainer.nnst";

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

TEST_CASE("golden v1.3: the frozen set, the param groups and their schedule read back exactly") {
  FileSource source(kFile);
  const Contents c = read_contents(source);
  verify_data(source, c);
  CHECK(c.format_major == 1);
  CHECK(c.format_minor == 3);
  CHECK(c.frozen == std::vector<std::string>{"0.bias", "0.weight", "1.bias", "1.weight"});
  CHECK(c.frozen_batchnorm_eval);
  REQUIRE(c.has_optimizer);
  REQUIRE(c.optimizer.groups.size() == 2);
  const ParamGroupConfig &body = c.optimizer.groups[0], &head = c.optimizer.groups[1];
  CHECK(body.params == std::vector<std::string>{"0", "3"});
  CHECK(body.options.beta1 == 0.8);
  CHECK(body.options.beta2 == 0.99);
  CHECK(body.options.eps == 1e-8);
  CHECK(head.params == std::vector<std::string>{"5"});
  CHECK(head.options.eps == 1e-6);
  CHECK(head.options.weight_decay == 1e-2);
  CHECK(head.options.beta1 == 0.9);
  // No state for the frozen parameters; state for every trainable one.
  std::vector<std::string> with_state;
  for (const ParamStateInfo &p : c.param_states) with_state.push_back(p.param);
  CHECK(with_state == std::vector<std::string>{"3.weight", "3.bias", "5.weight", "5.bias"});
  REQUIRE(c.has_scheduler);
  CHECK(c.scheduler.group_min_lr == std::vector<double>{4e-3, 1e-2});
  CHECK(c.scheduler_state.group_base_lrs == std::vector<double>{1e-2, 5e-2});
  // Values printed by the generator when the file was written.
  CHECK(c.trainer.epoch == 4);
  CHECK(c.trainer.global_step == 27);
  CHECK(c.trainer.batch_in_epoch == 3);
  CHECK(c.optimizer.lr == 0x1.0624dd2f1a9fcp-12);
  CHECK(body.options.lr == 0x1.0624dd2f1a9fcp-8);  // 4e-3: reduced to its own min_lr
  CHECK(head.options.lr == 0x1.999999999999ap-7);  // 0.0125: two reductions of 5e-2
  CHECK(c.scheduler_state.base_lr == 0x1.0624dd2f1a9fcp-10);
  CHECK(c.scheduler_state.best == 0x1.0355bf2e8ba2fp-1);
  CHECK(c.scheduler_state.num_bad_epochs == 0);
  nnstate::testing::check_first_values(source, c,
                                       {{"3.weight", 0x3e87c004u},
                                        {"3.bias", 0x3ac24578u},
                                        {"5.weight", 0xbeaa16f9u},
                                        {"5.bias", 0xbdca3825u}});
}

TEST_CASE("golden v1.3: the run resumes mid-epoch and ends as the one that wrote it") {
  const frozen_golden::Data data;
  Model straight(43);
  frozen_golden::build(straight);
  Trainer straight_trainer(straight, frozen_golden::config(12));
  straight_trainer.fit(data.dataset(), nullptr, nullptr);

  // A model whose frozen set differs gets the file's.
  Model resumed(5);
  frozen_golden::build(resumed);
  resumed.set_requires_grad({"0", "1"}, true);
  resumed.set_frozen_batchnorm_eval(false);
  Trainer trainer(resumed, frozen_golden::config(12));
  const MappedSource source(kFile, false);
  resume_trainer(trainer, source);
  CHECK(resumed.frozen().size() == 4);
  CHECK(resumed.frozen_batchnorm_eval());
  CHECK(resumed.optimizer()->group_count() == 3);
  CHECK(trainer.fit(data.dataset(), nullptr, nullptr) == StopReason::completed);
  for (size_t g = 0; g < 3; ++g) {
    CHECK(resumed.optimizer()->group_lr(g) == straight.optimizer()->group_lr(g));
  }
  // Bitwise in the build that wrote the file; another OpenBLAS kernel may differ in last bits.
  const std::vector<float> a = weights(straight), b = weights(resumed);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(b[i] == doctest::Approx(a[i]).epsilon(1e-5));
}
