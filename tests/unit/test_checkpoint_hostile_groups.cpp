// Hostile format 1.3 fields with valid CRCs: frozen names that are no parameter, optimizer state
// for a frozen parameter, group patterns selecting nothing or overlapping, per-group rates that
// do not fit the groups or are not rates. Each is refused by verify and load, naming the field.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "checkpoint_craft.h"
#include "test_checkpoint_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

// "body" Linear(3, 4), Tanh, "head" Linear(4, 3), cross entropy; "body.weight" frozen; Adam
// over groups ["body."] and ["head."], ReduceLROnPlateau on the loss with a per-group min_lr;
// one epoch of training.
struct GroupsTrainer {
  std::vector<float> x, y;
  Model model{7};
  std::unique_ptr<Trainer> trainer;

  explicit GroupsTrainer(const std::function<void(GroupsTrainer &)> &corrupt = {}) {
    for (int i = 0; i < 40; ++i) {
      for (int f = 0; f < 3; ++f) x.push_back(static_cast<float>((i * (f + 3)) % 7) / 7.0f);
      y.push_back(static_cast<float>(i % 3));
    }
    LayerConfig l(LayerKind::linear);
    l.as<LinearConfig>().in_features = 3;
    l.as<LinearConfig>().out_features = 4;
    model.add_node(l, {Graph::kNetworkInput}, "body");
    LayerConfig tanh(LayerKind::tanh);
    model.add_node(tanh, {0}, "");
    l.as<LinearConfig>().in_features = 4;
    l.as<LinearConfig>().out_features = 3;
    model.add_node(l, {1}, "head");
    model.set_loss(LossKind::cross_entropy);
    model.set_requires_grad({"body.weight"}, false);
    OptimizerConfig adam = default_optimizer_config(OptimizerKind::adam);
    ParamGroupConfig body, head;
    body.params = {"body."};
    body.options.lr = 1e-3;
    head.params = {"head."};
    head.options.lr = 1e-2;
    adam.groups = {body, head};
    model.set_optimizer(adam);
    TrainerConfig c;
    c.epochs = 1;
    c.batch_size = 10;
    c.scheduler.kind = SchedulerKind::reduce_on_plateau;
    c.scheduler.group_min_lr = {1e-5, 1e-4};
    c.scheduler_monitor = "loss";
    trainer = std::make_unique<Trainer>(model, c);
    Dataset d{x.data(), y.data(), 40, 3, 1};
    trainer->fit(d, nullptr, nullptr);
    if (corrupt) corrupt(*this);
  }
  std::vector<unsigned char> bytes() {
    SaveOptions o;
    o.trainer = trainer.get();
    return ckpt_test::to_bytes(model, o);
  }
};

// Each place where the manifest holds the FlatBuffers string `text` (length prefix, bytes, NUL).
std::vector<size_t> occurrences(const std::vector<unsigned char> &bytes, const std::string &text) {
  std::vector<unsigned char> needle(4 + text.size() + 1, 0);
  const uint32_t n = static_cast<uint32_t>(text.size());
  std::memcpy(needle.data(), &n, 4);
  std::memcpy(needle.data() + 4, text.data(), text.size());
  uint64_t manifest;
  std::memcpy(&manifest, bytes.data() + 16, 8);
  std::vector<size_t> at;
  for (size_t i = static_cast<size_t>(manifest); i + needle.size() <= bytes.size(); ++i) {
    if (std::memcmp(bytes.data() + i, needle.data(), needle.size()) == 0) at.push_back(i + 4);
  }
  return at;
}

// `bytes` with the string at `at` overwritten by `text` (same length), CRCs fixed.
std::vector<unsigned char> patched(std::vector<unsigned char> bytes, size_t at,
                                   const std::string &text) {
  std::memcpy(bytes.data() + at, text.data(), text.size());
  ckpt_craft::fix_crcs(bytes);
  return bytes;
}

// The status and message of verifying, then of loading, `bytes`.
std::pair<nnstate_status, std::string> refusal(const std::vector<unsigned char> &bytes) {
  MemorySource memory(bytes.data(), bytes.size(), false, "<hostile>");
  nnstate_status verify_status = NNSTATE_OK, load_status = NNSTATE_OK;
  std::string message, load_message;
  try {
    verify_data(memory, read_contents(memory));
  } catch (const Error &e) {
    verify_status = e.status();
    message = e.what();
  }
  try {
    load(memory, LoadOptions{});
  } catch (const Error &e) {
    load_status = e.status();
    load_message = e.what();
  }
  CHECK(load_status == verify_status);
  CHECK(load_message == message);
  return {verify_status, message};
}

void refused(const std::vector<unsigned char> &bytes, const std::string &needle) {
  const auto r = refusal(bytes);
  INFO(r.second);
  CHECK(r.first == NNSTATE_ERR_CORRUPT);
  CHECK(r.second.find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("hostile 1.3: the crafted file itself is valid and resumes") {
  GroupsTrainer t;
  const auto bytes = t.bytes();
  CHECK(refusal(bytes).first == NNSTATE_OK);
  CHECK(occurrences(bytes, "head.").size() == 1);
}

TEST_CASE("hostile 1.3: group patterns that select nothing or overlap are refused") {
  GroupsTrainer t;
  const auto bytes = t.bytes();
  const auto head = occurrences(bytes, "head.");
  REQUIRE(head.size() == 1);
  refused(patched(bytes, head[0], "hexd."),
          "manifest optimizer.groups: param group 1: \"hexd.\" names no parameter");
  refused(patched(bytes, head[0], "body."),
          "manifest optimizer.groups: parameter \"body.bias\" is in param group 0 and in param "
          "group 1");
}

TEST_CASE("hostile 1.3: a frozen name that is no parameter, or a frozen one with state") {
  GroupsTrainer t;
  const auto bytes = t.bytes();
  // "body.weight" is a tensor, a frozen name and nothing else; "head.weight" has state. Every
  // rename is refused; renaming the frozen entry names what is wrong.
  size_t not_a_parameter = 0, frozen_with_state = 0;
  for (const char *to : {"body.weighx", "head.weight"}) {
    for (size_t at : occurrences(bytes, "body.weight")) {
      const auto r = refusal(patched(bytes, at, to));
      INFO(to << " at " << at << ": " << r.second);
      CHECK(r.first == NNSTATE_ERR_CORRUPT);
      if (r.second.find("architecture.frozen[0]: \"body.weighx\" is not a parameter") !=
          std::string::npos)
        ++not_a_parameter;
      if (r.second.find("state for \"head.weight\", which is frozen") != std::string::npos)
        ++frozen_with_state;
    }
  }
  CHECK(not_a_parameter == 1);
  CHECK(frozen_with_state == 1);
}

TEST_CASE("hostile 1.3: per-group rates must fit the groups and be rates") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    std::function<void(GroupsTrainer &)> corrupt;
    const char *needle;
  };
  auto base_lrs = [](std::vector<double> v) {
    return [v](GroupsTrainer &t) {
      SchedulerState s = t.trainer->scheduler()->state();
      s.group_base_lrs = v;
      t.trainer->scheduler()->restore(s);
    };
  };
  auto min_lrs = [](std::vector<double> v) {
    return [v](GroupsTrainer &t) {
      const_cast<SchedulerConfig &>(t.trainer->scheduler()->config()).group_min_lr = v;
    };
  };
  const std::vector<Case> cases = {
      {base_lrs({1e-3}), "manifest scheduler.group_base_lr: 1 values for 2 param groups"},
      {base_lrs({1e-3, 1e-2, 1.0}), "scheduler.group_base_lr: 3 values for 2 param groups"},
      {base_lrs({1e-3, -1.0}), "scheduler.group_base_lr[1]: -1.000000 is not a finite rate"},
      {base_lrs({nan, 1e-2}), "scheduler.group_base_lr[0]: nan is not a finite rate"},
      {min_lrs({1e-5}), "scheduler.group_min_lr: 1 values for 2 param groups"},
      {min_lrs({1e-5, -2.0}), "every group's min_lr must be >= 0"},
      {min_lrs({1e-5, std::numeric_limits<double>::infinity()}),
       "scheduler.group_min_lr[1]: inf is not a finite rate"},
  };
  for (const Case &c : cases) {
    INFO(c.needle);
    GroupsTrainer t(c.corrupt);
    refused(t.bytes(), c.needle);
  }
}
